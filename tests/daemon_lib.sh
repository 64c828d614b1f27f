# daemon_lib.sh: helpers for the end-to-end tests of `chartvault run` (sourced after lib.sh).
# Each test runs a real daemon in the background on its own ports and folders; the trap stops it.

DAEMON_PID=""
cleanup_daemon() {
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
    [ -n "${SINKS_PID:-}" ] && kill "$SINKS_PID" 2>/dev/null
    [ -n "${IMMUTABLE:-}" ] && chattr -R -i "$IMMUTABLE" 2>/dev/null
    true
}
trap cleanup_daemon EXIT

# free_port: a TCP port nobody listens on now.
free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# write_config FILE < text: a private config file.
write_config() { cat > "$1"; chmod 600 "$1"; }

# hl7 FILE SEGMENT...: one message per file, segments joined with CR, ended for mllp_send.
hl7() {
    f=$1; shift
    : > "$f"
    for s in "$@"; do printf '%s\r' "$s" >> "$f"; done
    printf '\034\r' >> "$f"
}

# start_daemon CONFIG: run in the background, log to $T/daemon.log.
start_daemon() {
    "$CHARTVAULT" run --config "$1" -v >> "$T/daemon.log" 2>&1 &
    DAEMON_PID=$!
}

stop_daemon() {
    kill "$DAEMON_PID"
    wait "$DAEMON_PID" || fail "the daemon exited $? on SIGTERM (log: $T/daemon.log)"
    DAEMON_PID=""
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
    limit=$(( $(date +%s) + $1 )); shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$limit" ] || return 1
        kill -0 "$DAEMON_PID" 2>/dev/null || { tail -20 "$T/daemon.log" >&2; fail "the daemon died"; }
        sleep 0.1
    done
}

# status_check CONFIG PYTHON-EXPRESSION: is the expression over status --json (as s) true?
status_check() {
    cv status --config "$1" --json > "$T/.status.json" 2>/dev/null || return 1
    $PY -c "import json,sys; s=json.load(open('$T/.status.json')); sys.exit(0 if ($2) else 1)"
}

mllp_up() { status_check "$1" 's["mllp"]["up"]'; }
search_has() { cv query --db "$1" search "$2" --json 2>/dev/null | grep -q "$3"; }
