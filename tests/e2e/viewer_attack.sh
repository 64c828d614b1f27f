# viewer_attack: the findings of an attack on the viewer from 127.0.0.1 (issue 21), each tried
# again as the attacker did: a page too big to build (500, never a page with a piece missing);
# login answers that tell known names from unknown ones; a lockout that locks the owner out;
# a whole NAT blocked by one guesser; one account evicting everyone's sessions; an audit log
# that starts a new chain; hundreds of query fields holding a connection; slowloris; the
# index path on the login page; TLS 1.2 with CBC suites.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

cv --help | grep -q '^  index ' || { echo "no 'chartvault index' in this build"; exit 77; }

S="$T/state"
TREE="$T/tree"
mkdir -p "$TREE/999/901"
cp -r "$CV_CORPUS/999/901/9999013" "$TREE/999/901/"
# a patient whose name is 2.3 million '<': 9.2 MB escaped, over the 8 MiB page limit
$PY - "$CV_CORPUS" "$TREE" <<'PYEOF'
import glob, os, sys
corpus, tree = sys.argv[1:]
pid = "9999088"
src = glob.glob(f"{corpus}/999/901/9999013/-/ADT-00/*_1")[0]
data = open(src, "rb").read().replace(b"9999013", pid.encode())
key = b"PID|0001||" + pid.encode() + b"||"
start = data.index(key) + len(key)
data = data[:start] + b"<" * 2300000 + data[data.index(b"^", start):]
d = f"{tree}/{pid[0:3]}/{pid[3:6]}/{pid}/-/ADT-00"
os.makedirs(d, exist_ok=True)
open(f"{d}/{os.path.basename(src).replace('9999013', pid)}", "wb").write(data)
PYEOF
expect_status 0 cv index --source "$TREE" --db "$T/index.db"
make_password "$T/pw" "nurse-station-3e-tablet"
make_password "$T/pw-doc" "doctor-on-call-ward-3e"
make_password "$T/pw-eve" "eve-is-a-real-account-too"
expect_status 0 cv user add nurse --role viewer --state "$S" --password-file "$T/pw"
expect_status 0 cv user add doc --role viewer --state "$S" --password-file "$T/pw-doc"
expect_status 0 cv user add eve --role viewer --state "$S" --password-file "$T/pw-eve"
expect_status 0 cv user totp doc --state "$S"
secret=$(sed -n 's/^secret: //p' "$T/out")
start_server --db "$T/index.db" --state "$S"
[ "$(login "$T/jar" nurse nurse-station-3e-tablet)" = 303 ] || fail "login"

# ---- a page that cannot be built whole is a 500, with the reason in the log
[ "$(get /patient/9999088 "$T/jar")" = 500 ] || fail "an overlong page was sent"
assert_contains "$T/body" "最後まで作れなかった"
[ "$(get '/search?q=9999' "$T/jar")" = 500 ] || fail "an overlong search page was sent"
[ "$(get /patient/9999013 "$T/jar")" = 200 ] || fail "a normal page after an overlong one"
assert_contains "$T/serve.err" "GET /patient/: the page could not be built whole"
assert_contains "$T/serve.err" "GET /search: the page could not be built whole"
assert_not_contains "$T/serve.err" "9999088"
pass "a page over the limit is a 500 with the route (no patient ID) in the log"

# login_as ADDR JAR USER PASSWORD [CODE]: a login from a client address of 127/8; the status
login_as() {
    curl -sk --interface "$1" -o "$T/body" -c "$2" -b "$2" "$URL/login"
    tok=$(csrf_of "$T/body")
    curl -sk --interface "$1" -o "$T/body" -D "$T/headers" -w '%{http_code}' -c "$2" -b "$2" \
        --data-urlencode "csrf=$tok" --data-urlencode "user=$3" --data-urlencode "password=$4" \
        --data-urlencode "totp=${5:-}" "$URL/login"
}

# ---- one answer for every name: a known name and an unknown one go through the same steps
for name in eve ghost; do
    : > "$T/answers-$name"
    for i in 1 2 3 4 5 6; do
        code=$(login_as 127.0.0.1 "$T/jar-$name" "$name" "wrong-password-guess-$i")
        printf '%s %s\n' "$code" "$(grep -o 'role="alert">[^<]*' "$T/body")" >> "$T/answers-$name"
    done
done
cmp -s "$T/answers-eve" "$T/answers-ghost" || { paste "$T/answers-eve" "$T/answers-ghost" >&2;
    fail "a known name and an unknown one are answered differently"; }
assert_contains "$T/answers-eve" "15分間"
pass "a known and an unknown name get the same answers, lock included"

# ---- the lock holds for the source only; password + one-time code always pass
[ "$(login_as 127.0.0.1 "$T/eve1" eve eve-is-a-real-account-too)" = 401 ] ||
    fail "a locked name let in from the locked source"
[ "$(login_as 127.0.0.2 "$T/eve2" eve eve-is-a-real-account-too)" = 303 ] ||
    fail "a guesser at 127.0.0.1 locked eve out at 127.0.0.2"
for i in 1 2 3 4 5; do login_as 127.0.0.1 "$T/doc1" doc "wrong-password-guess-$i" > /dev/null; done
[ "$(login_as 127.0.0.1 "$T/doc1" doc doctor-on-call-ward-3e)" = 401 ] || fail "doc not locked"
[ "$(login_as 127.0.0.1 "$T/doc1" doc doctor-on-call-ward-3e "$(totp "$secret")")" = 303 ] ||
    fail "password + code refused from a locked source"
pass "a lockout locks one source; password + code pass even there"

# ---- a ward behind one NAT: 21 failures from its address do not block password + code
for i in $(seq 1 21); do login_as 127.0.0.3 "$T/nat" "guess$i" wrong-password-guess > /dev/null; done
[ "$(login_as 127.0.0.3 "$T/nat" nurse nurse-station-3e-tablet)" = 429 ] || fail "no throttle"
# the next step's code (one step either side is taken): the current one was used above
code=$(login_as 127.0.0.3 "$T/nat" doc doctor-on-call-ward-3e "$(totp "$secret" 30)")
[ "$code" = 303 ] || fail "a throttled address blocked password + code ($code)"
pass "a throttled address still lets password + code through"

# ---- one account logging in again and again ends only its own sessions
[ "$(login_as 127.0.0.6 "$T/nurse-keep" nurse nurse-station-3e-tablet)" = 303 ] || fail "nurse"
for i in $(seq 1 9); do login_as 127.0.0.6 "$T/eve-$i" eve eve-is-a-real-account-too > /dev/null; done
[ "$(get / "$T/nurse-keep")" = 200 ] || fail "another account's logins ended nurse's session"
[ "$(get / "$T/eve-9")" = 200 ] || fail "eve's newest session"
[ "$(get / "$T/eve-1")" = 303 ] || fail "eve holds more than 8 sessions"
pass "at most 8 sessions per account; other accounts' sessions stay"

# ---- the audit log never starts a new chain
printf '{"seq":999,"time":"2026-12-07T10:' >> "$S/audit.log"
[ "$(get /patient/9999013 "$T/jar")" = 200 ] || fail "a torn last record stopped the viewer"
grep -q '"event":"audit-repair"' "$S/audit.log" || fail "the cut is not recorded"
printf 'not a record\n' >> "$S/audit.log"
lines=$(wc -l < "$S/audit.log")
[ "$(get /patient/9999013 "$T/jar")" = 503 ] || fail "a damaged last record: page shown"
[ "$(get /patient/9999013 "$T/jar")" = 503 ] || fail "a damaged last record: second page shown"
[ "$(login_as 127.0.0.7 "$T/late" nurse nurse-station-3e-tablet)" = 503 ] ||
    fail "a damaged last record: login let in"
[ "$(get / "$T/late")" = 303 ] || fail "a login that was not audited made a session"
[ "$(wc -l < "$S/audit.log")" = "$lines" ] || fail "records were written after a damaged one"
sed -i '$d' "$S/audit.log"
[ "$(get /patient/9999013 "$T/jar")" = 200 ] || fail "the repaired log is not used again"
! grep -q '"seq":1,' <(tail -n +2 "$S/audit.log") || fail "a new chain was started"
expect_status 0 cv audit verify --state "$S"
pass "a torn record is cut and recorded; a damaged one refuses pages and logins; one chain"

# ---- hundreds of query fields get an answer at once
q=$($PY -c 'print("&".join("a%d=b" % i for i in range(300)))')
code=$(curl -sk -m 20 -o /dev/null -w '%{http_code}' "$URL/login?$q" || true)
[ "$code" = 400 ] || fail "300 query fields answered '$code'"
q=$($PY -c 'print("&".join("a%d=b" % i for i in range(1000)))')
code=$(curl -sk -m 20 -o /dev/null -w '%{http_code}' "$URL/login?$q" || true)
[ "$code" = 414 ] || fail "1000 query fields answered '$code'"
pass "many query fields: 400 or 414 at once"

# ---- the CSV export defuses what a spreadsheet would run (full-width ＝ included)
get '/search?q=%EF%BC%9DHYPERLINK(1)' "$T/jar" > /dev/null
get '/search?q=%3DHYPERLINK(2)' "$T/jar" > /dev/null
stop_server
expect_status 0 cv audit export --state "$S" --csv
assert_contains "$T/out" "\"'＝HYPERLINK(1)\""
assert_contains "$T/out" "\"'=HYPERLINK(2)\""
! grep -q ',＝HYPERLINK\|,=HYPERLINK' "$T/out" || fail "a formula left live in the CSV export"
pass "CSV export: = and ＝ (and + - @ tab CR) start no formula"

# ---- no path on any page before login; TLS 1.2 only with AEAD suites
echo "this is not a database" > "$T/garbage.db"
start_server --db "$T/garbage.db" --state "$S"
get /login "$T/anon" > /dev/null
assert_contains "$T/body" "データがありません"
assert_not_contains "$T/body" "garbage.db"
assert_not_contains "$T/body" "$T"
curl -sk "$URL/health" > "$T/health"
assert_not_contains "$T/health" "garbage.db"
assert_contains "$T/serve.err" "garbage.db" # the reason goes to the log
pass "no paths in pages before login (the reason goes to the log)"
if command -v openssl > /dev/null; then
    for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384 ECDHE-ECDSA-AES128-SHA256; do
        ! openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cipher "$c" < /dev/null \
            > "$T/tls.out" 2>&1 || fail "TLS 1.2 accepted $c"
    done
    openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 \
        < /dev/null > "$T/tls.out" 2>&1 || fail "TLS 1.2 with AES-GCM refused"
    openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 < /dev/null > "$T/tls.out" 2>&1 ||
        fail "TLS 1.3 refused"
    pass "TLS 1.2 only with AEAD suites (no CBC, no SHA-1), TLS 1.3"
fi
stop_server

# ---- slowloris: idle sockets and one byte at a time neither fill the viewer nor last
start_server --db "$T/index.db" --state "$S" --request-timeout 3
$PY - "$PORT" <<'PYEOF' || fail "slowloris"
import socket, ssl, sys, time
port = int(sys.argv[1])

def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def closed(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

# fewer connections per address: the 33rd from one address is closed at once
idle = [conn("127.0.0.4") for _ in range(32)]
extra = conn("127.0.0.4")
assert closed(extra, 2), "a 33rd connection from one address was kept"
# five addresses' worth of idle sockets do not keep a sixth address out
idle += [conn("127.0.0.%d" % a) for a in (1, 2, 3, 5) for _ in range(32)]
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
t = ctx.wrap_socket(conn("127.0.0.9"), server_hostname="localhost")
t.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
assert t.recv(12).startswith(b"HTTP/1.1"), "a client on another address got no answer"
# one byte a second resets no deadline: closed after the 3 s a request may take
slow = conn("127.0.0.8")
start = time.monotonic()
ended = False
while time.monotonic() - start < 10:
    try:
        slow.send(b"")
    except OSError:
        ended = True
        break
    if closed(slow, 1):
        ended = True
        break
assert ended, "a connection sending a byte a second was kept for 10 s"
assert all(closed(s, 0.5) for s in idle[:5]), "idle connections outlived the deadline"
PYEOF
pass "32 connections per address, other addresses served, no request past its deadline"
stop_server
