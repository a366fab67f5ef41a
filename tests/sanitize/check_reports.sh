#!/usr/bin/env bash
# check_reports.sh DIR: exit 1 and print every sanitizer report in DIR (ASan, UBSan and LSan
# write one file per process that found something: report.<pid>); exit 0 when there is none.
set -euo pipefail
dir="${1:?usage: check_reports.sh DIR}"
if [ ! -d "$dir" ]; then
  echo "no report folder $dir (was sanitizer.clear-reports run?)" >&2
  exit 2
fi
shopt -s nullglob
reports=("$dir"/*)
if [ ${#reports[@]} -eq 0 ]; then
  echo "no sanitizer report in $dir"
  exit 0
fi
echo "${#reports[@]} sanitizer report(s) in $dir:"
for f in "${reports[@]}"; do
  echo
  echo "===== $f"
  cat "$f"
done
exit 1
