# viewer_pages: the data pages on a real index built from the public samples plus a patient
# whose name is "<script>...": summary, allergy box, search, 404s, ward pages, health, the
# freshness banner turning red, an index replaced underneath, an unreadable index, and every
# look in the audit log.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

cv --help | grep -q '^  index ' || { echo "no 'chartvault index' in this build"; exit 77; }

S="$T/state"
TREE="$T/tree"
mkdir -p "$TREE/999/901"
cp -r "$CV_CORPUS/999/901/9999013" "$TREE/999/901/"

# make_patient ID NAME: a copy of 9999013's ADT-00 under a new ID with an ASCII family name
make_patient() {
    $PY - "$CV_CORPUS" "$TREE" "$1" "$2" <<'PYEOF'
import glob, os, sys
corpus, tree, pid, name = sys.argv[1:]
src = glob.glob(f"{corpus}/999/901/9999013/-/ADT-00/*_1")[0]
data = open(src, "rb").read().replace(b"9999013", pid.encode())
start = data.index(b"PID|0001||" + pid.encode() + b"||") + len(b"PID|0001||" + pid.encode() + b"||")
end = data.index(b"^", start)
data = data[:start] + name.encode() + data[end:]
data = b"\r".join(s for s in data.split(b"\r") if not s.lstrip(b"\n").startswith(b"AL1|"))
d = f"{tree}/{pid[0:3]}/{pid[3:6]}/{pid}/-/ADT-00"
os.makedirs(d, exist_ok=True)
open(f"{d}/{os.path.basename(src).replace('9999013', pid)}", "wb").write(data)
PYEOF
}
make_patient 9999066 '<script>alert(1)</script>'
expect_status 0 cv index --source "$TREE" --db "$T/index.db"

make_password "$T/pw" "nurse-station-3e-tablet"
expect_status 0 cv user add nurse --role viewer --state "$S" --password-file "$T/pw"
start_server --db "$T/index.db" --state "$S"
[ "$(login "$T/jar" nurse nurse-station-3e-tablet)" = 303 ] || fail "login"

# ---- the summary of the public sample patient
[ "$(get /patient/9999013 "$T/jar")" = 200 ] || fail "patient 9999013"
for want in "患者 太郎" "カンジャ タロウ" "1948-04-05" "ペニシリン" 'class="allergy"' \
            "胃炎" "データ時点"; do
    assert_contains "$T/body" "$want"
done
grep -qi '^cache-control: no-store' "$T/headers" || fail "patient page may be cached"
assert_not_contains "$T/body" "アレルギー記録なし"
[ "$(get /patient/9999013/print "$T/jar")" = 200 ] || fail "print view"
assert_contains "$T/body" "印刷日時"
assert_contains "$T/body" "data-print"
pass "summary with banner, allergies, diagnoses; print view"

# ---- a name holding <script> is text
[ "$(get /patient/9999066 "$T/jar")" = 200 ] || fail "patient 9999066"
assert_contains "$T/body" "&lt;script&gt;alert(1)&lt;/script&gt;"
assert_not_contains "$T/body" "<script>alert"
assert_contains "$T/body" "アレルギー記録なし（未確認）"
[ "$(get '/search?q=9999' "$T/jar")" = 200 ] || fail "search by ID prefix"
assert_contains "$T/body" 'href="/patient/9999013"'
assert_contains "$T/body" 'href="/patient/9999066"'
assert_contains "$T/body" "&lt;script&gt;alert(1)&lt;/script&gt;"
assert_not_contains "$T/body" "<script>alert"
get "/search?q=%3Cscript%3Ealert(1)" "$T/jar" > /dev/null
assert_not_contains "$T/body" "<script>alert"
assert_contains "$T/body" 'value="&lt;script&gt;alert(1)"'
pass "a patient named <script> renders as text in summary and search"

[ "$(get '/search?q=カンジャ' "$T/jar")" = 200 ] || fail "search by kana"
assert_contains "$T/body" "患者 太郎"
[ "$(get /patient/0000001 "$T/jar")" = 404 ] || fail "unknown patient is not 404"
assert_contains "$T/body" "見つかりません"
[ "$(get '/patient/..%2F..%2Fetc' "$T/jar")" = 404 ] || fail "odd ID"
[ "$(get /ward/NO-SUCH "$T/jar")" = 404 ] || fail "unknown ward is not 404"
[ "$(get /wards "$T/jar")" = 200 ] || fail "wards"
[ "$(get / "$T/jar")" = 200 ] || fail "start page"
pass "search by kana, 404 for unknown patient and ward"

# ---- health and freshness
code=$(curl -sk -o "$T/health" -w '%{http_code}' "$URL/health")
[ "$code" = 200 ] || fail "health answered $code"
assert_contains "$T/health" '"status":"ok"'
assert_contains "$T/health" '"data_time"'
get /login "$T/anon" > /dev/null
assert_contains "$T/body" 'class="fresh"'
assert_not_contains "$T/body" 'fresh stale'
advance_clock 1860
get /login "$T/anon" > /dev/null
assert_contains "$T/body" 'fresh stale'
assert_contains "$T/body" "（31分前）"
pass "health, and the freshness banner turns red past 30 minutes"

# ---- a newer index renamed over the file is picked up without a restart
[ "$(login "$T/jar" nurse nurse-station-3e-tablet)" = 303 ] || fail "login again"
[ "$(get /patient/9999077 "$T/jar")" = 404 ] || fail "9999077 before the new index"
make_patient 9999077 'Newer'
expect_status 0 cv index --source "$TREE" --db "$T/index2.db"
mv "$T/index2.db" "$T/index.db"
ok=""
for _ in $(seq 1 30); do
    [ "$(get /patient/9999077 "$T/jar")" = 200 ] && { ok=1; break; }
    sleep 0.2
done
[ -n "$ok" ] || fail "the replaced index was not picked up"
pass "an index replaced underneath is read without a restart"

# ---- pages are cached per version of the data: an update in place shows at once
for _ in 1 2 3; do get /patient/9999066 "$T/jar" > /dev/null; get '/search?q=9999' "$T/jar" > /dev/null; done
assert_contains "$T/body" "&lt;script&gt;"
make_patient 9999066 'Renamed'
expect_status 0 cv index --source "$TREE" --db "$T/index.db"
[ "$(get /patient/9999066 "$T/jar")" = 200 ] || fail "9999066 after the update"
assert_contains "$T/body" "Renamed 太郎"
assert_not_contains "$T/body" "&lt;script&gt;"
get '/search?q=9999' "$T/jar" > /dev/null
assert_contains "$T/body" "Renamed"
pass "an index updated in place is shown at once (no stale cached page)"
stop_server

# ---- every look is in the audit log
expect_status 0 cv audit verify --state "$S"
expect_status 0 cv audit export --state "$S" --csv
for what in ',view,ok,nurse,127.0.0.1,9999013,' ',print,ok,nurse,127.0.0.1,9999013,' \
            ',view,not-found,nurse,127.0.0.1,0000001,' ',search,ok,nurse,127.0.0.1,,9999,'; do
    grep -q -- "$what" "$T/out" || fail "audit lacks '$what'"
done
pass "views, prints and searches audited"

# ---- an unreadable index: the viewer starts and says why on every page
echo "this is not a database" > "$T/garbage.db"
start_server --db "$T/garbage.db" --state "$S"
get /login "$T/anon2" > /dev/null
assert_contains "$T/body" "データがありません"
[ "$(login "$T/jar2" nurse nurse-station-3e-tablet)" = 303 ] || fail "login on a bad index"
[ "$(get / "$T/jar2")" = 200 ] || fail "start page on a bad index"
assert_contains "$T/body" "データがありません"
[ "$(get /patient/9999013 "$T/jar2")" = 404 ] || fail "patient on a bad index"
assert_contains "$T/body" "データがありません"
code=$(curl -sk -o "$T/health" -w '%{http_code}' "$URL/health")
[ "$code" = 503 ] || fail "health on a bad index answered $code"
stop_server
pass "an unreadable index: the viewer runs and says no data is available, and why"
