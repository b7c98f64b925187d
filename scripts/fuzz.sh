#!/usr/bin/env bash
# Builds every libFuzzer target with clang (the `fuzz` preset) and runs each for
# a few seconds from its seed corpus, as many at once as there are cores (each
# target is one process on one core). Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target fuzz_targets -j "$(nproc)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_target BINARY: one target's run; its summary (or its failure) printed whole
# when it ends, so the lines of targets running side by side do not interleave.
run_target() {
  local target=$1 name corpus
  name=$(basename "$target" _fuzz)
  corpus="$work/$name"
  mkdir -p "$corpus"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$corpus/"
  if "$target" -max_total_time="$seconds" -print_final_stats=0 "$corpus" 2>"$work/$name.log"; then
    echo "fuzz: $name for ${seconds}s: $(grep -E '^#[0-9]+.*(DONE|pulse)' "$work/$name.log" | tail -1)"
  else
    { tail -40 "$work/$name.log"; echo "fuzz: $name FAILED"; } >&2
    return 1
  fi
}
export -f run_target
export work seconds

# xargs exits non-zero (123) when any target failed; every target still runs.
# shellcheck disable=SC2016  # $1 is expanded by the inner bash
if ! printf '%s\n' build/fuzz/fuzz/*_fuzz | xargs -P "$(nproc)" -I{} bash -c 'run_target "$1"' _ {}; then
  echo "fuzz: a target failed (its output above)" >&2
  exit 1
fi
