# viewer_admin: the admin page serves what `chartvault report --dir` wrote (report.pdf,
# report.html, report.json, status.json, mode 0640) to accounts of role admin only; other
# names are never opened; downloads and refusals are audited. The viewer holds no key.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

mkdir -p "$T/src"
echo "test-password-0123456789" > "$T/pass"; chmod 600 "$T/pass"
cat > "$T/c.conf" <<CONF
[source]
path = $T/src
[index]
db = $T/index.sqlite
[repo a]
path = $T/repo
password_file = $T/pass
[daemon]
state_dir = $T/state
CONF
chmod 600 "$T/c.conf"
cv report --config "$T/c.conf" --dir "$T/report" > "$T/out"
assert_contains "$T/out" "report and status written to $T/report/"
for f in report.pdf report.html report.json status.json; do
    [ "$(stat -c %a "$T/report/$f")" = 640 ] || fail "$f is not mode 0640"
done
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); assert {s["key"]: s["verdict"] for s in r["sections"]}["backups"] == "action"' \
    "$T/report/report.json" || fail "report.json: a configuration whose daemon never ran is not 要対応"
pass "report --dir: four files, mode 0640; a daemon that never ran is 要対応"

make_password "$T/ap" "admin-password-0123456789"
make_password "$T/np" "nurse-password-0123456789"
cv user add boss --role admin --state "$T/viewer" --password-file "$T/ap" > /dev/null
cv user add nurse --role viewer --state "$T/viewer" --password-file "$T/np" > /dev/null
start_server --db "$T/index.sqlite" --state "$T/viewer" --report "$T/report"

[ "$(login "$T/nj" nurse nurse-password-0123456789)" = 303 ] || fail "nurse login"
[ "$(get /admin "$T/nj")" = 403 ] || fail "a viewer opened the admin page"
[ "$(get /admin/report.pdf "$T/nj")" = 403 ] || fail "a viewer downloaded the report"
get / "$T/nj" > /dev/null
assert_not_contains "$T/body" 'href="/admin"'

[ "$(login "$T/aj" boss admin-password-0123456789)" = 303 ] || fail "admin login"
get / "$T/aj" > /dev/null
assert_contains "$T/body" 'href="/admin"'
[ "$(get /admin "$T/aj")" = 200 ] || fail "the admin page"
for f in report.pdf report.html report.json status.json; do assert_contains "$T/body" "/admin/$f"; done
[ "$(get /admin/report.pdf "$T/aj")" = 200 ] || fail "report.pdf download"
cmp -s "$T/body" "$T/report/report.pdf" || fail "report.pdf differs from the file"
[ "$(get /admin/status.json "$T/aj")" = 200 ] || fail "status.json download"
cmp -s "$T/body" "$T/report/status.json" || fail "status.json differs from the file"
ln -s "$T/pass" "$T/report/pass"
for bad in pass ../c.conf %2e%2e/c.conf report.pdf/x; do
    [ "$(get "/admin/$bad" "$T/aj")" = 404 ] || fail "/admin/$bad was not refused"
done
pass "the admin page: admins download the report and status, viewers get 403, other names 404"

stop_server
cv audit verify --state "$T/viewer" > /dev/null || fail "audit chain"
grep -q '"event":"admin","result":"denied","user":"nurse"' "$T/viewer/audit.log" || fail "the refusal is not audited"
grep -q '"event":"admin","result":"ok","user":"boss".*"detail":"report.pdf"' "$T/viewer/audit.log" ||
    fail "the download is not audited"
pass "admin downloads and refusals are in the audit log"
