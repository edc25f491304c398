#!/usr/bin/env bash
# The local stack behind `make demo` and `make dev`: the pinned Temporal CLI's
# dev server (Web UI included), the R1 simulator, a worker and the HTTP trigger.
# Histories are encrypted with a key generated once in var/<mode>/codec-keys;
# the trigger serves the codec endpoint on loopback without a token, and the
# dev UI decodes through it.
#   demo: migrate the sample export in parallel mode with live progress, print
#         the summary and the UI link, then stop everything it started.
#   dev:  start everything and leave it running until Ctrl-C.
# Ports: TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), R1SIM_PORT (8555), TRIGGER_PORT (8080).
set -euo pipefail
mode=${1:-demo}
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/bin

TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
R1SIM_PORT=${R1SIM_PORT:-8555}
TRIGGER_PORT=${TRIGGER_PORT:-8080}
EXPORT=${EXPORT:-examples/sample-export.json}
state=$root/var/$mode
mkdir -p "$state/logs"
[[ $mode == demo ]] && rm -f "$state/temporal.db" # every demo starts clean

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for spec in "TEMPORAL_PORT:$TEMPORAL_PORT:Temporal gRPC" "TEMPORAL_UI_PORT:$TEMPORAL_UI_PORT:Temporal Web UI" "R1SIM_PORT:$R1SIM_PORT:R1 simulator" "TRIGGER_PORT:$TRIGGER_PORT:HTTP trigger and codec endpoint"; do
  IFS=: read -r var port what <<<"$spec"
  if port_taken "$port"; then
    echo "Port $port ($what) is already in use on 127.0.0.1." >&2
    echo "Stop whatever listens there (a previous 'make dev'? see: ss -ltnp 'sport = :$port'), or choose another port: make $mode $var=<free port>" >&2
    exit 1
  fi
done

pids=()
cleanup() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    echo "Stopping what $mode started..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for ((i = 0; i < secs * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "$name did not come up within ${secs}s; its log is in $state/logs" >&2
  exit 1
}

# The payload key: made once and kept, since the histories in temporal.db need it.
keys=$state/codec-keys
if [[ ! -s $keys ]]; then
  (umask 077 && printf 'dev-%s:%s\n' "$(date +%Y%m%d)" "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >"$keys")
  echo "Made a payload key for this stack's histories: $keys"
fi
codec=http://localhost:$TRIGGER_PORT/codec

# The workflows' search attributes (workflows.SearchAttributes; a test keeps this list the same).
search_attributes=(DpskExport=Keyword DpskFirstPool=Keyword DpskMigration=Keyword DpskPaused=Bool DpskPool=Keyword DpskPoolsDone=Int DpskPoolsFailed=Int DpskStatus=Keyword DpskTenant=Keyword)
sa_args=()
for sa in "${search_attributes[@]}"; do sa_args+=(--search-attribute "$sa"); done

echo "Starting the Temporal dev server (gRPC :$TEMPORAL_PORT, UI http://localhost:$TEMPORAL_UI_PORT, decoding through $codec)..."
"$bin/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
  --ui-codec-endpoint "$codec" "${sa_args[@]}" \
  --log-level error --db-filename "$state/temporal.db" >"$state/logs/temporal.log" 2>&1 &
pids+=($!)
wait_for "Temporal" 60 "$bin/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"

echo "Starting the R1 simulator (http://127.0.0.1:$R1SIM_PORT, 2000 calls/min per tenant, ~40 ms latency)..."
"$bin/r1sim" --addr "127.0.0.1:$R1SIM_PORT" --rate-limit 2000 --latency-median 40ms >"$state/logs/r1sim.log" 2>&1 &
pids+=($!)
wait_for "the R1 simulator" 10 port_taken "$R1SIM_PORT"

export TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT TEMPORAL_NAMESPACE=default
export TEMPORAL_UI_URL=http://localhost:$TEMPORAL_UI_PORT
export DPSKMIGRATE_EXPORT_DIR=$state/exports
export R1_BASE_URL=http://127.0.0.1:$R1SIM_PORT R1_TENANT_ID=demo-tenant R1_CLIENT_ID=demo R1_CLIENT_SECRET=demo-secret
export R1_CALLS_PER_MINUTE=${R1_CALLS_PER_MINUTE:-1800}
export DPSKMIGRATE_CODEC_KEY_FILE=$keys
unset DPSKMIGRATE_CODEC_KEYS

echo "Starting a worker (R1 budget $R1_CALLS_PER_MINUTE calls/min)..."
"$bin/worker" >"$state/logs/worker.log" 2>&1 &
pids+=($!)
sleep 1
kill -0 "${pids[-1]}" 2>/dev/null || { echo "The worker exited; see $state/logs/worker.log" >&2; cat "$state/logs/worker.log" >&2; exit 1; }

# Loopback without a token, so the dev UI (which sends only its own sign-in
# token) can decode; the trigger refuses --insecure-no-auth off loopback.
echo "Starting the HTTP trigger and codec endpoint (http://127.0.0.1:$TRIGGER_PORT, loopback, no token)..."
env -u DPSKMIGRATE_TRIGGER_TOKEN "$bin/trigger" --addr "127.0.0.1:$TRIGGER_PORT" --insecure-no-auth \
  --codec-cors-origin "http://localhost:$TEMPORAL_UI_PORT,http://127.0.0.1:$TEMPORAL_UI_PORT" >"$state/logs/trigger.log" 2>&1 &
pids+=($!)
wait_for "the trigger" 10 port_taken "$TRIGGER_PORT"

if [[ $mode == dev ]]; then
  cat <<MSG

The stack is running. In another shell:
  export TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS DPSKMIGRATE_EXPORT_DIR=$DPSKMIGRATE_EXPORT_DIR TEMPORAL_UI_URL=$TEMPORAL_UI_URL
  export DPSKMIGRATE_CODEC_KEY_FILE=$DPSKMIGRATE_CODEC_KEY_FILE
  bin/dpskmigrate plan $EXPORT
  bin/dpskmigrate start $EXPORT --parallel --watch
  curl -s -H 'Content-Type: application/json' --data-binary @$EXPORT 'http://127.0.0.1:$TRIGGER_PORT/v1/migrations?parallel=true'
  bin/temporal workflow show --address $TEMPORAL_ADDRESS --workflow-id <migration-id> --codec-endpoint $codec
  curl -s http://127.0.0.1:$R1SIM_PORT/__sim/stats
Web page: http://127.0.0.1:$TRIGGER_PORT/ (plan, start and watch migrations; no token on loopback)
Temporal UI: $TEMPORAL_UI_URL (decodes through $codec)    Logs: $state/logs    Ctrl-C stops everything.
MSG
  wait
  exit 0
fi

echo
"$bin/dpskmigrate" plan "$EXPORT"
echo
set +e
"$bin/dpskmigrate" start "$EXPORT" --parallel --max-concurrent 5 --watch
code=$?
set -e
echo
echo "R1 simulator, what it holds: curl -s http://127.0.0.1:$R1SIM_PORT/__sim/inventory (while it runs: make dev)"
echo "Temporal UI (while it runs: make dev): $TEMPORAL_UI_URL"
exit $code
