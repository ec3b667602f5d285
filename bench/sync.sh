#!/usr/bin/env bash
# peerflow sync against rsync (daemon, rsync://) in the same run, over a veth pair between two network namespaces
# (no shaping: the link counters give the exact bytes each tool put on the wire, both directions, headers included).
#   1. no-op sync of the small set (20,000 files x 4 KiB): both replicas already identical;
#   2. the same after 1 % of the files (200) got new content (same size, new time): changed bytes vs bytes on the wire;
#      and on the mixed set (2,000 files, 1 GiB): 1 % of its files (20) rewritten with new random bytes;
#   3. delta: a 1 GiB file synced, then 1 MiB overwritten in the middle; then 100 bytes inserted near the start;
#   4. where a one-shot run's time goes: a no-op sync of one file (the fixed cost of starting a sync), and the no-op of
#      the small set as `peerflow sync --watch` repeats it in a process that is already running (its rescans'
#      elapsed time as it reports it; no wire figure).
# PeerFlow runs with its defaults (TLS 1.3, LZ4 auto, delta for changed files) and with --insecure (plaintext, as
# rsync's daemon protocol is); rsync also runs over ssh (encrypted, as PeerFlow's default is), against an sshd with a
# temporary key in the receiver's namespace. Every run is checked against its source afterwards. Needs root (ip netns), rsync and
# the datasets of ../shared/bench/make-data.sh.
#
#   bash bench/sync.sh                 # RUNS=5; DATA=/dev/shm/src; WORK=/dev/shm/pf-sync
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
DATA=${DATA:-/dev/shm/src}
WORK=${WORK:-/dev/shm/pf-sync}
OUT=$PWD/bench/out/sync-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
[ -f bench/out/peerflow/peerflow.dll ] || bash bench/publish.sh >/dev/null
PF="dotnet $PWD/bench/out/peerflow/peerflow.dll"
export PEERFLOW_HOME=$OUT/home
ROWS=$OUT/rows.tsv
: > "$ROWS"
A=pf-sync-a B=pf-sync-b HOST=10.214.0.2

cleanup() {
  [ -n "${RECEIVERS:-}" ] && kill $RECEIVERS 2>/dev/null || true
  [ -f "$OUT/rsyncd.pid" ] && kill "$(cat "$OUT/rsyncd.pid")" 2>/dev/null || true
  [ -f "$OUT/ssh/sshd.pid" ] && kill "$(cat "$OUT/ssh/sshd.pid")" 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
ip netns add $A
ip netns add $B
ip link add $A-0 type veth peer name $B-0
ip link set $A-0 netns $A
ip link set $B-0 netns $B
ip -n $A addr add 10.214.0.1/24 dev $A-0
ip -n $B addr add $HOST/24 dev $B-0
for ns in $A $B; do ip -n $ns link set lo up; ip -n $ns link set $ns-0 up; done

wire() { ip netns exec $A sh -c "echo \$(( \$(cat /sys/class/net/$A-0/statistics/tx_bytes) + \$(cat /sys/class/net/$A-0/statistics/rx_bytes) ))"; }

mkdir -p "$WORK/pf" "$WORK/pf-insecure" "$WORK/rsync" "$WORK/rsync-ssh" "$WORK/src"
cp -a "$DATA/small" "$WORK/src/small"
cp -a "$DATA/mixed" "$WORK/src/mixed"

# Receivers in B: PeerFlow with TLS (trusting the sender's home, as on one machine), PeerFlow plaintext, rsyncd.
ip netns exec $B $PF receive --listen $HOST:47700 --dest "$WORK/pf" > "$OUT/receiver.log" 2>&1 &
RECEIVERS="$!"
ip netns exec $B $PF receive --listen $HOST:47701 --dest "$WORK/pf-insecure" --insecure > "$OUT/receiver-insecure.log" 2>&1 &
RECEIVERS="$RECEIVERS $!"
cat > "$OUT/rsyncd.conf" <<EOF
use chroot = no
uid = root
gid = root
pid file = $OUT/rsyncd.pid
log file = $OUT/rsyncd.log
[bench]
  path = $WORK/rsync
  read only = no
EOF
ip netns exec $B rsync --daemon --config="$OUT/rsyncd.conf" --address=$HOST --port=47702
# sshd for rsync over ssh. HOME points at an empty directory: root's own ~/.bashrc would be run for every connection.
mkdir -p "$OUT/ssh/home" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$OUT/ssh/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$OUT/ssh/id"
cp "$OUT/ssh/id.pub" "$OUT/ssh/authorized_keys"
cat > "$OUT/ssh/sshd_config" <<SSHD
ListenAddress $HOST:47703
HostKey $OUT/ssh/hostkey
PidFile $OUT/ssh/sshd.pid
AuthorizedKeysFile $OUT/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
SetEnv HOME=$OUT/ssh/home
LogLevel ERROR
SSHD
cat > "$OUT/ssh/ssh_config" <<SSH
Host bench
  HostName $HOST
  Port 47703
  User root
  IdentityFile $OUT/ssh/id
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  GlobalKnownHostsFile /dev/null
  BatchMode yes
  LogLevel ERROR
SSH
ip netns exec $B /usr/sbin/sshd -f "$OUT/ssh/sshd_config"
for _ in $(seq 100); do [ -s "$OUT/ssh/sshd.pid" ] && break; sleep 0.1; done
for _ in $(seq 100); do grep -q "listening on" "$OUT/receiver.log" "$OUT/receiver-insecure.log" 2>/dev/null && [ "$(grep -l "listening on" "$OUT"/receiver*.log | wc -l)" = 2 ] && break; sleep 0.1; done

# One measured command in A: prints "seconds wire-bytes".
measure() {
  local before after start end
  before=$(wire)
  start=$(date +%s.%N)
  ip netns exec $A "$@" > "$OUT/last.log" 2>&1 || { cat "$OUT/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  after=$(wire)
  echo "$(echo "$end - $start" | bc -l) $((after - before))"
}

pf_sync() { measure $PF sync "$WORK/src/$1" --to "$HOST:47700/$1"; }
pf_sync_insecure() { measure $PF sync "$WORK/src/$1" --to "$HOST:47701/$1" --insecure; }
rsync_sync() { measure rsync -a "$WORK/src/$1" "rsync://$HOST:47702/bench/"; }
rsync_ssh_sync() { measure rsync -a -e "ssh -F $OUT/ssh/ssh_config" "$WORK/src/$1" "bench:$WORK/rsync-ssh/"; }

check() { # set
  for replica in pf/$1 pf-insecure/$1 rsync/$1 rsync-ssh/$1; do
    diff -r "$WORK/src/$1" "$WORK/$replica" > /dev/null || { echo "$replica differs from its source" >&2; exit 1; }
  done
}

record() { # scenario tool changed-bytes "seconds wire"
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" | tee -a "$ROWS"
}

# Initial copies (not measured), then the no-op re-syncs.
for set in small mixed; do pf_sync $set > /dev/null; pf_sync_insecure $set > /dev/null; rsync_sync $set > /dev/null; rsync_ssh_sync $set > /dev/null; done
check small
echo "== no-op sync, small (20,000 files) =="
for _ in $(seq "$RUNS"); do
  record noop-small rsync 0 "$(rsync_sync small)"
  record noop-small rsync-ssh 0 "$(rsync_ssh_sync small)"
  record noop-small peerflow 0 "$(pf_sync small)"
  record noop-small peerflow-insecure 0 "$(pf_sync_insecure small)"
done

echo "== 1 % of the small files changed (200 x 4 KiB of new content) =="
for run in $(seq "$RUNS"); do
  python3 - "$WORK/src/small" "$run" <<'PY'
import os, random, sys
root, run = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
rng = random.Random(run)
for path in rng.sample(files, len(files) // 100):
    size = os.path.getsize(path)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))
PY
  changed=$((200 * 4096))
  record change-1pct-small rsync $changed "$(rsync_sync small)"
  record change-1pct-small rsync-ssh $changed "$(rsync_ssh_sync small)"
  record change-1pct-small peerflow $changed "$(pf_sync small)"
  record change-1pct-small peerflow-insecure $changed "$(pf_sync_insecure small)"
  check small
done

echo "== 1 % of the mixed files changed (20 files rewritten with new random bytes) =="
check mixed
for run in $(seq "$RUNS"); do
  changed=$(python3 - "$WORK/src/mixed" "$run" <<'PY'
import os, random, sys
root, run = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
rng = random.Random(1000 + run)
total = 0
for path in rng.sample(files, len(files) // 100):
    size = os.path.getsize(path)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    total += size
print(total)
PY
)
  record change-1pct-mixed rsync "$changed" "$(rsync_sync mixed)"
  record change-1pct-mixed rsync-ssh "$changed" "$(rsync_ssh_sync mixed)"
  record change-1pct-mixed peerflow "$changed" "$(pf_sync mixed)"
  record change-1pct-mixed peerflow-insecure "$changed" "$(pf_sync_insecure mixed)"
  check mixed
done

# Room for the next part (tmpfs is memory): the mixed copies go.
rm -rf "$WORK/src/mixed" "$WORK/pf/mixed" "$WORK/pf-insecure/mixed" "$WORK/rsync/mixed" "$WORK/rsync-ssh/mixed"
mkdir -p "$WORK/src/delta"
head -c 1073741824 "$DATA/big/big.bin" > "$WORK/src/delta/file.bin"
pf_sync delta > /dev/null; pf_sync_insecure delta > /dev/null; rsync_sync delta > /dev/null; rsync_ssh_sync delta > /dev/null

echo "== delta: 1 GiB file, 1 MiB overwritten in the middle; then 100 bytes inserted near the start =="
for run in $(seq "$RUNS"); do
  dd if=/dev/urandom of="$WORK/src/delta/file.bin" bs=1M count=1 seek=$((500 + run)) conv=notrunc status=none
  record delta-1mib-middle rsync 1048576 "$(rsync_sync delta)"
  record delta-1mib-middle rsync-ssh 1048576 "$(rsync_ssh_sync delta)"
  record delta-1mib-middle peerflow 1048576 "$(pf_sync delta)"
  record delta-1mib-middle peerflow-insecure 1048576 "$(pf_sync_insecure delta)"
  check delta
  # 100 new bytes at 4 KiB x run, streamed (the file does not fit in memory twice beside the replicas).
  f="$WORK/src/delta/file.bin"
  { head -c $((4096 * run)) "$f"; head -c 100 /dev/urandom; tail -c +$((4096 * run + 1)) "$f"; } > "$f.new"
  mv "$f.new" "$f"
  record delta-insert-100b rsync 100 "$(rsync_sync delta)"
  record delta-insert-100b rsync-ssh 100 "$(rsync_ssh_sync delta)"
  record delta-insert-100b peerflow 100 "$(pf_sync delta)"
  record delta-insert-100b peerflow-insecure 100 "$(pf_sync_insecure delta)"
  check delta
done

echo "== fixed cost: no-op sync of a single file =="
mkdir -p "$WORK/src/one"
echo "one file" > "$WORK/src/one/file.txt"
pf_sync one > /dev/null; pf_sync_insecure one > /dev/null; rsync_sync one > /dev/null; rsync_ssh_sync one > /dev/null
for _ in $(seq "$RUNS"); do
  record noop-1file rsync 0 "$(rsync_sync one)"
  record noop-1file rsync-ssh 0 "$(rsync_ssh_sync one)"
  record noop-1file peerflow 0 "$(pf_sync one)"
  record noop-1file peerflow-insecure 0 "$(pf_sync_insecure one)"
done

echo "== no-op sync, small, in a running process (sync --watch rescans every second) =="
watch_rescans() { # tool port [--insecure]: one row per rescan after the first sync of the process
  local log="$OUT/watch-$1.json" pid
  ip netns exec $A $PF sync "$WORK/src/small" --to "$HOST:$2/small" ${3:-} --watch --rescan 1 --output json > "$log" 2> /dev/null &
  pid=$!
  for _ in $(seq 900); do [ "$(grep -c '"event":"completed"' "$log")" -gt "$RUNS" ] && break; sleep 0.1; done
  kill -TERM $pid; wait $pid || true
  python3 - "$log" "$RUNS" <<'PY' | while read -r seconds; do record noop-small-warm "$1" 0 "$seconds -1"; done
import json, sys
done = [json.loads(l) for l in open(sys.argv[1]) if '"event":"completed"' in l]
for event in done[1:int(sys.argv[2]) + 1]:
    assert event["success"] and event["sync"]["filesUnchanged"] == 20000, event
    print(event["elapsedSeconds"])
PY
}
watch_rescans peerflow 47700
watch_rescans peerflow-insecure 47701
for _ in $(seq "$RUNS"); do
  record noop-small-warm rsync 0 "$(rsync_sync small)"
  record noop-small-warm rsync-ssh 0 "$(rsync_ssh_sync small)"
done

echo
echo "== medians (seconds; bytes on the wire both ways; ratios to rsync's daemon and to rsync over ssh in the same run) =="
python3 - "$ROWS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    scenario, tool, changed, measured = line.rstrip("\n").split("\t")
    seconds, wire = measured.split()
    rows.setdefault((scenario, tool), []).append((float(seconds), int(wire), int(changed)))
scenarios = list(dict.fromkeys(s for s, _ in rows))
size = {"delta-1mib-middle": 1 << 30, "delta-insert-100b": 1 << 30}
print(f"{'scenario':<20} {'tool':<18} {'time':>8} {'x rsync':>8} {'x r-ssh':>8} {'wire':>14} {'x changed':>10} {'% of file':>10}")
for scenario in scenarios:
    ref = statistics.median(s for s, _, _ in rows[(scenario, "rsync")])
    ref_ssh = statistics.median(s for s, _, _ in rows[(scenario, "rsync-ssh")])
    for tool in ("rsync", "rsync-ssh", "peerflow", "peerflow-insecure"):
        runs = rows[(scenario, tool)]
        seconds = statistics.median(s for s, _, _ in runs)
        wire = statistics.median(w for _, w, _ in runs)
        changed = statistics.median(c for _, _, c in runs)
        of_changed = f"{statistics.median(w / c for _, w, c in runs):.2f}" if changed else "-"
        of_file = f"{100 * wire / size[scenario]:.3f}" if scenario in size else "-"
        on_wire = f"{int(wire):>14,}" if wire >= 0 else f"{'-':>14}"
        print(f"{scenario:<20} {tool:<18} {seconds:>7.3f}s {seconds / ref:>7.2f}x {seconds / ref_ssh:>7.2f}x {on_wire} {of_changed:>10} {of_file:>10}")
PY
