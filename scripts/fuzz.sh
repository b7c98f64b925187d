#!/usr/bin/env bash
# Builds every libFuzzer target with clang (the `fuzz` preset) and runs each for
# a few seconds from its seed corpus. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target fuzz_targets -j "$(nproc)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in build/fuzz/fuzz/*_fuzz; do
  name=$(basename "$target" _fuzz)
  corpus="$work/$name"
  mkdir -p "$corpus"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$corpus/"
  echo "fuzz: $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -print_final_stats=0 "$corpus" 2>"$work/$name.log" || {
    tail -40 "$work/$name.log"
    echo "fuzz: $name FAILED"
    exit 1
  }
  grep -E '^#[0-9]+.*(DONE|pulse)' "$work/$name.log" | tail -1 || true
done
