#!/usr/bin/env bash
# PeerFlow's main job, end to end: build, start a receiver process on 127.0.0.1, send a directory tree to it from a
# second process over TCP (TLS 1.3; both use this installation's identity, so they trust each other), and verify
# that what arrived is identical (content, empty directories, modification times).
#
#   bash scripts/demo.sh              # a generated sample tree
#   bash scripts/demo.sh SOURCE_DIR   # your own directory
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/peerflow-demo.XXXXXX")
receiver_pid=
cleanup() {
  [[ -n $receiver_pid ]] && kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building PeerFlow (Release)"
dotnet build src/PeerFlow.Cli -c Release -v quiet -nologo -clp:ErrorsOnly >/dev/null
peerflow=(dotnet src/PeerFlow.Cli/bin/Release/net10.0/peerflow.dll)

if [[ $# -ge 1 ]]; then
  source_dir=$(realpath "$1")
else
  source_dir=$work/sample
  echo "== making a sample tree in $source_dir"
  mkdir -p "$source_dir/docs/nested/deeper" "$source_dir/empty dir" "$source_dir/logs" "$source_dir/media" "$source_dir/ünïcödé"
  head -c $((48 * 1024 * 1024)) /dev/urandom >"$source_dir/media/video.bin"
  for i in $(seq 1 20000); do echo "2026-11-23T12:00:00Z INFO request $i served in $((i % 97)) ms"; done >"$source_dir/logs/app.log"
  for i in $(seq 1 500); do head -c $((i * 13 % 4096 + 1)) /dev/urandom >"$source_dir/docs/nested/file-$i.dat"; done
  echo "deep" >"$source_dir/docs/nested/deeper/readme.txt"
  : >"$source_dir/docs/empty-file"
  echo "ça va" >"$source_dir/ünïcödé/naïve café.txt"
  touch -d '2020-02-29 12:34:56' "$source_dir/media/video.bin" "$source_dir/empty dir"
fi

dest=$work/received
echo "== starting the receiver: peerflow receive --listen 127.0.0.1:0 --dest $dest --once"
"${peerflow[@]}" receive --listen 127.0.0.1:0 --dest "$dest" --once >"$work/receiver.log" 2>&1 &
receiver_pid=$!
for _ in $(seq 1 300); do
  grep -q '^listening on ' "$work/receiver.log" && break
  kill -0 "$receiver_pid" 2>/dev/null || { cat "$work/receiver.log"; exit 1; }
  sleep 0.05
done
address=$(sed -n 's/^listening on //p' "$work/receiver.log" | head -n 1)
echo "   receiver says: listening on $address"

echo "== sending: peerflow send $source_dir --to $address"
"${peerflow[@]}" send "$source_dir" --to "$address"
wait "$receiver_pid"; receiver_pid=
echo "== receiver output"
sed 's/^/   /' "$work/receiver.log"

echo "== verifying with diff -r and the modification times"
name=$(basename "$source_dir")
diff -r "$source_dir" "$dest/$name"
(cd "$source_dir" && find . -printf '%y %P %TY-%Tm-%Td %TH:%TM:%.2TS\n' | sort) >"$work/src.times"
(cd "$dest/$name" && find . -printf '%y %P %TY-%Tm-%Td %TH:%TM:%.2TS\n' | sort) >"$work/dst.times"
diff "$work/src.times" "$work/dst.times"
echo "verified: $(find "$dest/$name" -type f | wc -l) files and $(find "$dest/$name" -type d | wc -l) directories are identical, modification times included"
