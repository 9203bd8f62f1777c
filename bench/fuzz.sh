#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60): bench/fuzz.sh [SECONDS]
# atheris is used when installed (pip install atheris), else a hypothesis loop of the same length.
set -u
secs="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
status=0
for t in loadgen accuracy_txt system_json training_log accuracy_log; do
  echo "== fuzz_$t (${secs}s)"
  python "$here/fuzz_$t.py" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=4096 || status=1
done
exit $status
