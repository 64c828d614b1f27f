# daemon_mllp_limits: one sender cannot take every MLLP slot ([mllp] max_clients_per_address),
# and refused messages kept aside stay within [mllp] rejected_budget across restarts: past it
# they are answered and logged but not kept, until someone clears the folder.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
[ -x /usr/bin/mllp_send ] || { echo "mllp_send (python3-hl7) missing"; exit 77; }

PORT=$(free_port)
write_config "$T/c.conf" <<CONF
[source]
facility = 1234567890
[index]
db = $T/index.sqlite
[mllp]
listen = 127.0.0.1:$PORT
storage = $T/mllp
max_clients_per_address = 2
rejected_budget = 4K
[alerts]
syslog = no
[daemon]
state_dir = $T/state
CONF
start_daemon "$T/c.conf"
wait_for 10 mllp_up "$T/c.conf" || fail "the MLLP listener did not come up"

# --- two connections held open from 127.0.0.1: a third is refused, then served once they go ----
$PY - "$PORT" > "$T/held" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.5)
third = socket.create_connection(("127.0.0.1", port))
third.settimeout(5)
try:
    third.sendall(b"\x0bMSH|^~\\&|A|B|C|D|20260101||ADT^A08^ADT_A01|X1|P|2.5\r\x1c\r")
    print("third:", "closed" if third.recv(100) == b"" else "answered")
except (ConnectionResetError, BrokenPipeError):
    print("third: closed")
PY
wait $! || fail "the client holding connections failed"
assert_contains "$T/held" "third: closed"
wait_for 5 grep -q "refused a connection from 127.0.0.1: 2 connections from that address already" "$T/daemon.log" ||
    fail "the refusal was not logged with its reason"
printf 'not HL7 %0600d\034\r' 0 > "$T/junk.hl7"
wait_for 10 sh -c "mllp_send -p $PORT -f '$T/junk.hl7' 127.0.0.1 | grep -q 'MSA|AR'" ||
    fail "a new connection was not served once the others closed"
pass "a third connection from one address refused with its reason; served again once they closed"

# --- the budget of refused messages, across a restart ------------------------------------------
junk() { printf 'not HL7 %01000d\034\r' "$1" > "$T/j$1.hl7"; mllp_send -p "$PORT" -f "$T/j$1.hl7" 127.0.0.1 > "$T/ackj$1"; assert_contains "$T/ackj$1" "MSA|AR"; }
kept() { ls "$T/state/mllp-rejected/" | grep -c '\.hl7$' || true; }
junk 1
junk 2
[ "$(kept)" -eq 3 ] || fail "expected 3 kept aside (one from above), found $(kept)"
junk 3
[ "$(kept)" -eq 3 ] || fail "the budget of 4K did not hold: $(kept) kept"
assert_contains "$T/daemon.log" "not kept: the messages kept aside in"
stop_daemon
start_daemon "$T/c.conf"
wait_for 10 mllp_up "$T/c.conf" || fail "the MLLP listener did not come up again"
junk 4
[ "$(kept)" -eq 3 ] || fail "the budget did not survive a restart: $(kept) kept"
pass "refused messages past the 4K budget answered AR and logged, not kept, after a restart too"
rm -f "$T/state/mllp-rejected/"*
junk 5
[ "$(kept)" -eq 1 ] || fail "once cleared, a refused message is not kept again"
pass "once the folder is cleared, refused messages are kept again"
stop_daemon
