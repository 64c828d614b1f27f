# viewer_auth: the viewer's doors, over real HTTPS with curl: nothing without a session,
# lockout after 5 failures (still locked with the right password, open after 15 minutes of
# test clock), TOTP when enrolled, idle and absolute session expiry, CSRF, headers, request
# limits, the per-address throttle, and an audit log that notices an edited, removed or
# reordered record.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

S="$T/state"
make_password "$T/pw-alice" "alice-long-password-1"
make_password "$T/pw-bob" "bob-has-a-long-password"
make_password "$T/pw-short" "short"

# ---- accounts
expect_status 0 cv user add alice --role admin --state "$S" --password-file "$T/pw-alice"
expect_status 0 cv user add bob --role viewer --state "$S" --password-file "$T/pw-bob"
expect_status 1 cv user add carol --role viewer --state "$S" --password-file "$T/pw-short"
assert_contains "$T/err" "at least 16"
expect_status 1 cv user add carol --role viewer --state "$S" --password-file "$T/pw-bob"
assert_contains "$T/err" "already used by another account"
expect_status 1 cv user add bob --role viewer --state "$S" --password-file "$T/pw-alice"
assert_contains "$T/err" "already exists"
expect_status 2 cv user add carol --role nurse --state "$S" --password-file "$T/pw-alice"
expect_status 1 cv user passwd bob --state "$S" --password-file "$T/pw-alice"
assert_contains "$T/err" "already used"
chmod 644 "$T/pw-bob"
expect_status 1 cv user passwd bob --state "$S" --password-file "$T/pw-bob"
chmod 600 "$T/pw-bob"
expect_status 0 cv user list --state "$S" --json
assert_contains "$T/out" '"name": "alice"'
assert_not_contains "$T/out" 'argon2'
[ "$(stat -c %a "$S/accounts")" = 600 ] || fail "accounts file is not private"
pass "accounts: length, uniqueness, duplicates, roles, private file"

start_server --db "$T/no-such-index.db" --state "$S"
grep -q 'fingerprint: [0-9A-F:]\{95\}' "$T/serve.out" || fail "no fingerprint printed"
[ -f "$S/tls/cert.pem" ] && [ "$(stat -c %a "$S/tls/key.pem")" = 600 ] || fail "no private key"

# ---- nothing without a session
for p in / /search?q=9999013 /patient/9999013 /patient/9999013/print /wards /ward/1 \
         /ward/1/beds /logout; do
    code=$(get "$p" "$T/anon")
    [ "$code" = 303 ] || fail "$p without a session answered $code"
    grep -qi '^location: /login' "$T/headers" || fail "$p does not send to /login"
    [ ! -s "$T/body" ] || fail "$p without a session has a body"
done
code=$(curl -sk -o /dev/null -w '%{http_code}' -X POST "$URL/logout")
[ "$code" = 403 ] || fail "POST /logout without a session: $code"
pass "no page but login and health without a session"

# ---- headers
get /login "$T/anon" > /dev/null
for h in "content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'" \
         "x-frame-options: DENY" "strict-transport-security: max-age=" \
         "x-content-type-options: nosniff" "cache-control: no-store"; do
    grep -qi "^$h" "$T/headers" || fail "login page lacks '$h'"
done
! grep -q '<script>\|style="\| on[a-z]*="' "$T/body" || fail "inline script or style in a page"
pass "security headers, no inline script or style"

# ---- login, cookie, CSRF
[ "$(login "$T/bob" bob wrong-password-for-bob)" = 401 ] || fail "wrong password accepted"
assert_contains "$T/body" "ユーザー名・パスワード"
[ "$(login "$T/bob" bob bob-has-a-long-password)" = 303 ] || fail "bob cannot log in"
grep -i '^set-cookie: __Host-cv_session=' "$T/headers" | grep -i 'HttpOnly' | grep -i 'Secure' |
    grep -qi 'SameSite=Strict' || fail "session cookie lacks HttpOnly/Secure/SameSite=Strict"
[ "$(get / "$T/bob")" = 200 ] || fail "start page after login"
assert_contains "$T/body" "患者検索"
[ "$(get /patient/9999013 "$T/bob")" != 303 ] || fail "patient page refused after login"
grep -qi '^cache-control: no-store' "$T/headers" || fail "patient page may be cached"
code=$(get /logout "$T/bob" --data-urlencode csrf=0000 -X POST)
[ "$code" = 403 ] || fail "logout with a wrong CSRF token answered $code"
[ "$(get / "$T/bob")" = 200 ] || fail "a rejected CSRF post logged out"
code=$(curl -sk -o /dev/null -w '%{http_code}' -b "$T/anon" --data-urlencode user=bob \
    --data-urlencode password=bob-has-a-long-password "$URL/login")
[ "$code" = 403 ] || fail "login without CSRF token answered $code"
get / "$T/bob" > /dev/null
tok=$(csrf_of "$T/body")
[ "$(get /logout "$T/bob" --data-urlencode "csrf=$tok")" = 200 ] || fail "logout failed"
[ "$(get / "$T/bob")" = 303 ] || fail "session still valid after logout"
pass "login, cookie flags, CSRF on forms, logout"

# ---- lockout
for i in 1 2 3 4; do
    [ "$(login "$T/alice" alice "not-the-password-$i")" = 401 ] || fail "failure $i"
    assert_contains "$T/body" "ユーザー名・パスワード"
done
login "$T/alice" alice not-the-password-5 > /dev/null
assert_contains "$T/body" "15分間止めています"
[ "$(login "$T/alice" alice alice-long-password-1)" = 401 ] || fail "locked account let in"
assert_contains "$T/body" "15分間止めています"
expect_status 0 cv user list --state "$S"
grep -q '^alice .*lockout' "$T/out" || fail "user list does not show the lockout"
advance_clock 600
[ "$(login "$T/alice" alice alice-long-password-1)" = 401 ] || fail "unlocked after 10 minutes"
advance_clock 301
[ "$(login "$T/alice" alice alice-long-password-1)" = 303 ] || fail "still locked after 15 min"
pass "lockout after 5 failures, still locked with the right password, open after 15 minutes"

# an administrator's lock and unlock
expect_status 0 cv user lock bob --state "$S"
login "$T/bob" bob bob-has-a-long-password > /dev/null
assert_contains "$T/body" "管理者によりロック"
expect_status 0 cv user unlock bob --state "$S"
[ "$(login "$T/bob" bob bob-has-a-long-password)" = 303 ] || fail "unlock did not open"
pass "user lock / unlock"

# ---- TOTP
expect_status 0 cv user totp bob --state "$S"
assert_contains "$T/out" "otpauth://totp/chartvault:bob?secret="
secret=$(sed -n 's/^secret: //p' "$T/out")
[ "$(login "$T/bob2" bob bob-has-a-long-password)" = 401 ] || fail "TOTP not required"
[ "$(login "$T/bob2" bob bob-has-a-long-password 000000)" = 401 ] || fail "wrong code taken"
code=$(totp "$secret")
[ "$(login "$T/bob2" bob bob-has-a-long-password "$code")" = 303 ] || fail "right code refused"
[ "$(login "$T/bob3" bob bob-has-a-long-password "$code")" = 401 ] || fail "code replayed"
advance_clock 60
[ "$(login "$T/bob3" bob bob-has-a-long-password "$(totp "$secret")")" = 303 ] ||
    fail "next code refused"
pass "TOTP required when enrolled, wrong and replayed codes refused"

# ---- session expiry: idle 30 minutes, absolute 12 hours
[ "$(get / "$T/bob2")" = 200 ] || fail "fresh session refused"
advance_clock 1780
[ "$(get / "$T/bob2")" = 200 ] || fail "session expired before 30 idle minutes"
advance_clock 1821
[ "$(get / "$T/bob2")" = 303 ] || fail "session outlived 30 idle minutes"
grep -qi '^location: /login?expired=1' "$T/headers" || fail "expiry not told"
[ "$(login "$T/alice" alice alice-long-password-1)" = 303 ] || fail "alice login"
for i in $(seq 1 28); do
    advance_clock 1500
    [ "$(get / "$T/alice")" = 200 ] || fail "active session ended after $i x 25 min"
done
advance_clock 1500
[ "$(get / "$T/alice")" = 303 ] || fail "session outlived 12 hours"
pass "sessions end after 30 idle minutes and after 12 hours"

# ---- bad requests
[ "$(curl -sk -o /dev/null -w '%{http_code}' -X DELETE "$URL/")" = 405 ] || fail "DELETE"
[ "$(curl -sk -o /dev/null -w '%{http_code}' -X PUT -d x "$URL/login")" = 405 ] || fail "PUT"
head -c 20000 /dev/zero | tr '\0' a > "$T/big"
[ "$(curl -sk -o /dev/null -w '%{http_code}' --data-binary @"$T/big" "$URL/login")" = 413 ] ||
    fail "oversized body"
[ "$(curl -sk -o /dev/null -w '%{http_code}' "$URL/search?q=%FF%FE")" = 400 ] ||
    fail "invalid UTF-8 in the query"
[ "$(curl -sk -o /dev/null -w '%{http_code}' -b "$T/anon" --data-binary 'csrf=%zz' \
    "$URL/login")" = 400 ] || fail "malformed form"
long=$(head -c 3000 /dev/zero | tr '\0' a)
code=$(curl -sk -o /dev/null -w '%{http_code}' "$URL/$long")
[ "$code" = 414 ] || [ "$code" = 413 ] || fail "overlong URL answered $code"
[ "$(curl -sk -o /dev/null -w '%{http_code}' -b "$T/alice" "$URL/static/viewer.css")" = 200 ] ||
    fail "stylesheet"
pass "405 for other methods, 413/414 for oversized, 400 for malformed requests"

# ---- per-address throttle: 20 failures from one address within 15 minutes
advance_clock 3600
n=0
while [ "$n" -lt 20 ]; do
    login "$T/guess" "nobody$n" wrong-password-guess > /dev/null
    n=$((n + 1))
done
[ "$(login "$T/guess" alice alice-long-password-1)" = 429 ] || fail "no per-address throttle"
advance_clock 901
[ "$(login "$T/guess" alice alice-long-password-1)" = 303 ] || fail "throttle did not lift"
pass "per-address throttle"

stop_server

# ---- the audit log
[ "$(stat -c %a "$S/audit.log")" = 600 ] || fail "audit log is not private"
expect_status 0 cv audit verify --state "$S"
assert_contains "$T/out" "audit log intact"
expect_status 0 cv audit export --state "$S" --csv
for what in ',login,ok,bob,' ',login,locked-now,alice,' ',login,locked,alice,' \
            ',login,totp-fail,bob,' ',login,throttled,' ',logout,ok,bob,' ',view,not-found,bob,'; do
    grep -q -- "$what" "$T/out" || fail "audit export lacks '$what'"
done
expect_status 0 cv audit export --state "$S" --since 2000-01-01
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d) > 30' "$T/out" ||
    fail "export is not a JSON array of the records"
cp "$S/audit.log" "$T/audit.orig"
sed -i '3s/"bob"/"eve"/;3s/"alice"/"eve"/' "$S/audit.log"
cmp -s "$S/audit.log" "$T/audit.orig" && fail "test did not edit the log"
expect_status 1 cv audit verify --state "$S"
assert_contains "$T/err" "line 3"
assert_contains "$T/err" "edited"
cp "$T/audit.orig" "$S/audit.log"
sed -i '10d' "$S/audit.log"
expect_status 1 cv audit verify --state "$S"
assert_contains "$T/err" "line 10"
cp "$T/audit.orig" "$S/audit.log"
sed -i '20{h;d};21G' "$S/audit.log"
expect_status 1 cv audit verify --state "$S"
assert_contains "$T/err" "line 20"
cp "$T/audit.orig" "$S/audit.log"
sed -i '$d' "$S/audit.log"
expect_status 1 cv audit verify --state "$S"
assert_contains "$T/err" "removed from the end"
cp "$T/audit.orig" "$S/audit.log"
expect_status 0 cv audit verify --state "$S"
pass "audit verify passes, then finds an edited, removed, reordered or cut record"
