#!/usr/bin/env bash
# run_fuzzer.sh FUZZER WORKDIR CORPUS [libFuzzer flags...]: one ctest entry of tests/fuzz.
# WORKDIR is emptied first: WORKDIR/new receives the inputs libFuzzer finds (the checked-in
# CORPUS is only read), WORKDIR/artifacts a crashing input if any. Exit status is libFuzzer's.
set -euo pipefail
fuzzer="${1:?usage: run_fuzzer.sh FUZZER WORKDIR CORPUS [flags...]}"
work="${2:?}"
corpus="${3:?}"
shift 3
rm -rf "$work"
mkdir -p "$work/new" "$work/artifacts"
# A fixed -seed repeats a run only if the target behaves the same on the same input: Boost.JSON
# salts its object hashes with addresses, so run without address space randomization when the
# kernel allows it (setarch -R).
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  norandom=(setarch "$(uname -m)" -R)
fi
# -timeout: one input taking this long is a finding (a hang); -rss_limit_mb: libFuzzer's default;
# -reload=0: never rescan the corpus folders during the run (a time-based event).
set -x
exec "${norandom[@]}" "$fuzzer" -timeout=30 -rss_limit_mb=2048 -reload=0 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/new" "$corpus"
