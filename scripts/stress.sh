#!/usr/bin/env bash
# Runs end-to-end tests again and again beside CPU hogs, to find what only
# shows under contention. Not part of `make test`.
#
#   scripts/stress.sh                         # the whole e2e package, 30 times, beside 2 hogs
#   RUNS=10 HOGS=3 RUN='TestRerun' scripts/stress.sh
#
# Each run's output goes to var/stress/run-N.log. A run that fails or passes
# its TIMEOUT dumps its goroutines (go test -timeout panics with every stack)
# and the script keeps going; the summary at the end lists the runs that
# failed and the tests that failed in them.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-30}
HOGS=${HOGS:-2}
RUN=${RUN:-.}
TIMEOUT=${TIMEOUT:-30m}
OUT=${OUT:-var/stress}
export DPSKMIGRATE_TEMPORAL_CLI=${DPSKMIGRATE_TEMPORAL_CLI:-$PWD/bin/temporal}
[ -x "$DPSKMIGRATE_TEMPORAL_CLI" ] || make temporal
mkdir -p "$OUT"

hogs=()
stop_hogs() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_hogs EXIT
for _ in $(seq "$HOGS"); do
	( while :; do :; done ) &
	hogs+=($!)
done

go test -c -race -o "$OUT/e2e.test" ./e2e
failed=()
for i in $(seq "$RUNS"); do
	log="$OUT/run-$i.log"
	start=$(date +%s)
	# -test.timeout panics with every goroutine's stack: the dump of a run that hangs.
	if (cd e2e && "../$OUT/e2e.test" -test.run "$RUN" -test.count 1 -test.timeout "$TIMEOUT" -test.v) >"$log" 2>&1; then
		echo "run $i: ok ($(( $(date +%s) - start ))s)"
	else
		echo "run $i: FAILED ($(( $(date +%s) - start ))s), see $log"
		failed+=("$i")
	fi
done

echo
echo "$RUNS runs beside $HOGS CPU hogs: $(( RUNS - ${#failed[@]} )) passed, ${#failed[@]} failed"
for i in "${failed[@]}"; do
	echo "run $i:"
	grep -E '^(--- FAIL|panic: test timed out)' "$OUT/run-$i.log" | sed 's/^/  /' || true
done
[ ${#failed[@]} -eq 0 ]
