# viewer_lib.sh: helpers for the viewer's end-to-end tests (sourced after tests/lib.sh):
# start `chartvault serve` on a free port, log in with curl, move the test clock, compute a
# TOTP code the way an authenticator app would.
CLOCK="$T/clock"
echo 0 > "$CLOCK"
export CHARTVAULT_TEST_CLOCK_FILE="$CLOCK"
# only a test build moves its clock (CV_TEST_HOOKS; 'make check' builds one, 'make' does not)
need_test_clock() {
    "$CHARTVAULT" --version | grep -q "test build" ||
        { echo "not a test build (cmake -DCV_TEST_HOOKS=ON): the test clock is ignored"; exit 77; }
}
SERVER_PID=""

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server ARGS...: serve in the background, wait until it answers; sets $URL.
start_server() {
    PORT=$(free_port)
    URL="https://127.0.0.1:$PORT"
    "$CHARTVAULT" serve --listen "127.0.0.1:$PORT" "$@" > "$T/serve.out" 2> "$T/serve.err" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -sk -o /dev/null "$URL/health" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$T/serve.err" >&2; fail "serve exited"; }
        sleep 0.1
    done
    fail "serve did not answer on $URL"
}
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
trap stop_server EXIT

# the cheapest Argon2id for the accounts these tests make (test builds only; see accounts.c)
export CHARTVAULT_TEST_CHEAP_HASH=1
advance_clock() { need_test_clock; echo $(( $(cat "$CLOCK") + $1 )) > "$CLOCK"; }

# get PATH JAR [curl args]: status code on stdout, body in $T/body, headers in $T/headers
get() {
    p=$1; jar=$2; shift 2
    curl -sk -o "$T/body" -D "$T/headers" -w '%{http_code}' -c "$jar" -b "$jar" "$@" "$URL$p"
}
# csrf_of FILE: the first csrf token in a page
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | sed 's/.*value="//;s/"$//'; }

# login JAR USER PASSWORD [CODE]: prints the status of the POST (303 = logged in)
login() {
    jar=$1
    get /login "$jar" > /dev/null
    tok=$(csrf_of "$T/body")
    curl -sk -o "$T/body" -D "$T/headers" -w '%{http_code}' -c "$jar" -b "$jar" \
        --data-urlencode "csrf=$tok" --data-urlencode "user=$2" \
        --data-urlencode "password=$3" --data-urlencode "totp=${4:-}" "$URL/login"
}

# totp SECRET [AHEAD]: the 6-digit code of now (+AHEAD seconds), with the test clock's offset
totp() {
    $PY - "$1" "$(( $(cat "$CLOCK") + ${2:-0} ))" <<'PYEOF'
import base64, hashlib, hmac, struct, sys, time
secret, offset = sys.argv[1], int(sys.argv[2])
key = base64.b32decode(secret + "=" * ((8 - len(secret) % 8) % 8))
step = int((time.time() + offset) // 30)
h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
o = h[19] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PYEOF
}

# make_password FILE TEXT: a private password file
make_password() { printf '%s\n' "$2" > "$1"; chmod 600 "$1"; }
