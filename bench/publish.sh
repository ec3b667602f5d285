#!/usr/bin/env bash
# Publishes peerflow as benchmarks and deployments should run it: Release, ReadyToRun (precompiled, so start-up
# does not pay for JIT compilation), framework-dependent. Prints the path of peerflow.dll.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/out/peerflow}
dotnet publish src/PeerFlow.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out" -v quiet -nologo >&2
echo "$PWD/$out/peerflow.dll"
