#!/usr/bin/env bash
# The cost of encryption on the 2 GiB file: PeerFlow with TLS (its default) and with --insecure, against scp and
# rsync over ssh (OpenSSH's default cipher) and tar | mbuffer, all over 127.0.0.1 through the shared harness.
# Two passes (TLS, then --insecure), each with scp and tar | mbuffer in it, so every PeerFlow figure is a ratio to
# references measured in the same pass; TLS vs --insecure is the ratio of those ratios.
#
#   bash bench/encryption.sh            # RUNS=3 by default; RUNS=5 for the record in bench/RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
export RUNS=${RUNS:-3} SETS=big PEERFLOW_SETS=big
stamp=$(date -u +%Y%m%d-%H%M%S)
OUTDIR=$PWD/bench/out/enc-$stamp-tls ONLY='^(scp|rsync-ssh|tarmbuf)/big$|^peerflow/big$' PEERFLOW_NAME="PeerFlow TLS" \
  bash bench/run-peers.sh
OUTDIR=$PWD/bench/out/enc-$stamp-insecure ONLY='^(scp|tarmbuf)/big$|^peerflow/big$' PEERFLOW_NAME="PeerFlow --insecure" PEERFLOW_INSECURE=1 \
  bash bench/run-peers.sh
echo
echo "== ratios (wall time of the reference / wall time of PeerFlow, same pass) =="
for pass in tls insecure; do
  rows=bench/out/enc-$stamp-$pass/rows.tsv
  # rows.tsv columns (peers.sh): 2 = row id, 6 = median wall seconds
  awk -F'\t' -v pass="$pass" '{ wall[$2] = $6 }
    END {
      pf = wall["peerflow/big"]
      printf "%s: PeerFlow %.2f s", pass, pf
      for (r in wall) if (r != "peerflow/big") printf ", %.2fx %s (%.2f s)", wall[r] / pf, r, wall[r]
      printf "\n"
    }' "$rows"
done
