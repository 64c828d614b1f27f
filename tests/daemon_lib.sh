# daemon_lib.sh: helpers for the end-to-end tests of `chartvault run` (sourced after lib.sh).
# Each test runs a real daemon in the background on its own ports and folders; the trap stops it.

DAEMON_PID=""
# alive PID: running and not yet a zombie.
alive() { s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }
# reap PID: SIGTERM, up to 20 s to stop, then SIGKILL; never leaves the process behind.
reap() {
    kill "$1" 2>/dev/null || return 0
    i=0
    while alive "$1" && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    alive "$1" && { echo "pid $1 ignored SIGTERM for 20 s: SIGKILL" >&2; kill -KILL "$1" 2>/dev/null; }
    wait "$1" 2>/dev/null
}
cleanup_daemon() {
    set +e
    [ -n "$DAEMON_PID" ] && reap "$DAEMON_PID"
    DAEMON_PID=""
    [ -n "${SINKS_PID:-}" ] && reap "$SINKS_PID"
    SINKS_PID=""
    [ -n "${IMMUTABLE:-}" ] && chattr -R -i "$IMMUTABLE" 2>/dev/null
    true
}
# Any end of the test (success, failure, ctest's timeout, ^C) stops what it started.
trap cleanup_daemon EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

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

# make_hospital DIR PATIENTS: a small synthetic SS-MIX2 hospital (chartvault synth).
make_hospital() {
    cv synth --out "$1" --patients "$2" --years 1 --seed 7 --no-sync > "$T/synth.out" 2>&1 ||
        { cat "$T/synth.out" >&2; fail "synth failed"; }
}

# start_sinks: the local SMTP sink and webhook receiver (tests/tools/alert_sinks.py) in
# $T/sinks; sets SMTP_PORT and HOOK_PORT.
start_sinks() {
    mkdir -p "$T/sinks"
    $PY "$CV_SOURCE_DIR/tests/tools/alert_sinks.py" "$T/sinks" &
    SINKS_PID=$!
    i=0
    while [ ! -f "$T/sinks/ports" ]; do
        i=$((i + 1)); [ $i -lt 100 ] || fail "alert sinks did not start"; sleep 0.1
    done
    read -r SMTP_PORT HOOK_PORT < "$T/sinks/ports"
}

# sink_has PREFIX TEXT: some mail-* or hook-* file received holds TEXT.
sink_has() { cat "$T/sinks/$1"-* 2>/dev/null | grep -q -- "$2"; }

# new_repo DIR: an empty repository with a private password file $T/pass (fast KDF: a test).
new_repo() {
    [ -f "$T/pass" ] || { echo "test-password-0123456789" > "$T/pass"; chmod 600 "$T/pass"; }
    cv init --repo "$1" --password-file "$T/pass" --kdf fast > /dev/null 2>&1 || fail "init failed"
}
