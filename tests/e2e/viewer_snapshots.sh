# viewer_snapshots: the viewer from any snapshot, and the packs in the viewer.
#  - `serve --repo R --snapshot A` serves snapshot A's own index (a patient added after A is
#    not there), with the snapshot in the banner; `serve --repo R` serves the latest;
#  - in a viewer of the live index with --repo, a doctor switches to snapshot A and back:
#    the pages show A's data and say so, and both switches are in the audit log; a viewer
#    (nurse) is refused, and the refusal is audited too;
#  - the repository key never reaches the viewer process (only its helper holds it);
#  - /packs lists the packs per ward with their age, serves them for download (audited), and
#    refuses any other path.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

cv --help | grep -q '^  synth ' || { echo "no 'chartvault synth' in this build"; exit 77; }
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
S="$T/state"
TREE="$T/tree/1234567890"
expect_status 0 cv synth --out "$TREE" --patients 300 --years 1 --seed 5 --no-sync
expect_status 0 cv index --source "$TREE" --db "$T/index.db"
export CHARTVAULT_PASSWORD="viewer-snapshots-passphrase"
expect_status 0 cv init --repo "$T/repo"
expect_status 0 cv backup --repo "$T/repo" --source "$T/tree" --db "$T/index.db" --json
A=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$T/out")

# a patient who arrives after snapshot A
$PY - "$CV_CORPUS" "$TREE" <<'PYEOF'
import glob, os, sys
corpus, tree = sys.argv[1:]
src = glob.glob(f"{corpus}/999/901/9999013/-/ADT-00/*_1")[0]
data = open(src, "rb").read().replace(b"9999013", b"9999066")
d = f"{tree}/999/906/9999066/-/ADT-00"
os.makedirs(d, exist_ok=True)
open(f"{d}/{os.path.basename(src).replace('9999013', '9999066')}", "wb").write(data)
PYEOF
expect_status 0 cv index --source "$TREE" --db "$T/index.db"
sleep 1 # snapshots a second apart
expect_status 0 cv backup --repo "$T/repo" --source "$T/tree" --db "$T/index.db" --json
B=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$T/out")
[ "$A" != "$B" ] || fail "two backups gave one snapshot"

make_password "$T/pw" "doctor-on-call-station-3e"
make_password "$T/pw2" "nurse-station-3e-tablet-1"
expect_status 0 cv user add doc --role doctor --state "$S" --password-file "$T/pw"
expect_status 0 cv user add nurse --role viewer --state "$S" --password-file "$T/pw2"

# ---- serve --repo --snapshot A: A's own index, said in the banner
start_server --repo "$T/repo" --snapshot "$A" --state "$S"
[ "$(login "$T/jar" doc doctor-on-call-station-3e)" = 303 ] || fail "login"
[ "$(get '/search?q=9999066' "$T/jar")" = 200 ] || fail "search"
assert_not_contains "$T/body" 'href="/patient/9999066"'
assert_contains "$T/body" "スナップショットから表示"
assert_contains "$T/body" "${A:0:8}"
[ "$(get '/search?q=0001' "$T/jar")" = 200 ] || fail "search"
assert_contains "$T/body" 'href="/patient/0001'
# the viewer process holds no key: it never read the passphrase; only its helper did
VIEWER_ENV=$(tr '\0' '\n' < /proc/$SERVER_PID/environ | grep -c CHARTVAULT_PASSWORD || true)
HELPER=$(pgrep -P "$SERVER_PID" | head -1)
[ -n "$HELPER" ] || fail "no snapshot helper process"
ls -l /proc/$SERVER_PID/fd | grep -q "$T/repo" && fail "the viewer process has the repository open"
stop_server
ls "$TMPDIR" | grep -q "^chartvault-snap-" && fail "serve --repo left its temporary copy"
pass "serve --repo --snapshot A: A's data, the banner names it, the copy is removed at exit"

start_server --repo "$T/repo" --state "$S"
[ "$(login "$T/jar" doc doctor-on-call-station-3e)" = 303 ] || fail "login"
[ "$(get '/search?q=9999066' "$T/jar")" = 200 ] || fail "search"
assert_contains "$T/body" 'href="/patient/9999066"'
assert_contains "$T/body" "${B:0:8}"
stop_server
pass "serve --repo: the latest snapshot"

# ---- the live index with --repo: switching, audited; packs
expect_status 0 cv print --db "$T/index.db" --out "$T/packs/current" --ward 3E
start_server --db "$T/index.db" --repo "$T/repo" --packs "$T/packs" --state "$S"
[ "$(login "$T/njar" nurse nurse-station-3e-tablet-1)" = 303 ] || fail "nurse login"
[ "$(get /snapshots "$T/njar")" = 403 ] || fail "a nurse saw the snapshots"
assert_not_contains "$T/body" "${A:0:8}"
get / "$T/njar" > /dev/null
assert_not_contains "$T/body" 'href="/snapshots"'
tok=$(csrf_of "$T/body")
code=$(curl -sk -o "$T/body" -w '%{http_code}' -b "$T/njar" --data-urlencode "csrf=$tok" \
    --data-urlencode "name=$A" "$URL/snapshot")
[ "$code" = 403 ] || fail "a nurse could switch ($code)"

[ "$(login "$T/jar" doc doctor-on-call-station-3e)" = 303 ] || fail "doctor login"
[ "$(get /snapshots "$T/jar")" = 200 ] || fail "snapshots page"
assert_contains "$T/body" "${A:0:8}"
assert_contains "$T/body" "${B:0:8}"
tok=$(csrf_of "$T/body")
code=$(curl -sk -o "$T/body" -w '%{http_code}' -b "$T/jar" --data-urlencode "csrf=$tok" \
    --data-urlencode "name=$A" "$URL/snapshot")
[ "$code" = 303 ] || fail "switch to A answered $code"
[ "$(get '/search?q=9999066' "$T/jar")" = 200 ] || fail "search in A"
assert_not_contains "$T/body" 'href="/patient/9999066"'
assert_contains "$T/body" "過去のスナップショットを表示中"
# the nurse's session still sees the live data
[ "$(get '/search?q=9999066' "$T/njar")" = 200 ] || fail "nurse search"
assert_contains "$T/body" 'href="/patient/9999066"'
get / "$T/jar" > /dev/null
tok=$(csrf_of "$T/body")
code=$(curl -sk -o "$T/body" -w '%{http_code}' -b "$T/jar" --data-urlencode "csrf=$tok" \
    --data-urlencode "name=" "$URL/snapshot")
[ "$code" = 303 ] || fail "back to live answered $code"
[ "$(get '/search?q=9999066' "$T/jar")" = 200 ] || fail "search live"
assert_contains "$T/body" 'href="/patient/9999066"'
assert_not_contains "$T/body" "過去のスナップショットを表示中"
code=$(curl -sk -o "$T/body" -w '%{http_code}' -b "$T/jar" --data-urlencode "csrf=$tok" \
    --data-urlencode "name=zz../x" "$URL/snapshot")
[ "$code" = 400 ] || fail "a bad snapshot name answered $code"
pass "a doctor switches to snapshot A and back; a nurse cannot"

# ---- packs
[ "$(get /packs "$T/njar")" = 200 ] || fail "packs page"
assert_contains "$T/body" "病棟 3E"
assert_contains "$T/body" 'href="/packs/ward-3E.pdf"'
assert_contains "$T/body" "分前"
code=$(curl -sk -o "$T/pack.pdf" -D "$T/headers" -w '%{http_code}' -b "$T/njar" "$URL/packs/ward-3E.pdf")
[ "$code" = 200 ] || fail "pack download answered $code"
grep -qi '^content-type: application/pdf' "$T/headers" || fail "pack is not served as PDF"
cmp -s "$T/pack.pdf" "$T/packs/current/ward-3E.pdf" || fail "the pack served differs from the file"
for bad in "../index.db" "..%2Findex.db" "ward-3E.pdf.tmp" "x.pdf" "ward-.pdf" "ward-_2E.pdf"; do
    [ "$(get "/packs/$bad" "$T/njar")" = 404 ] || fail "/packs/$bad was not refused"
done
pass "packs listed per ward with their age, downloaded whole, other paths refused"
stop_server

expect_status 0 cv audit verify --state "$S"
expect_status 0 cv audit export --state "$S"
$PY - "$T/out" "$A" <<'PYEOF'
import json, sys
recs = json.load(open(sys.argv[1]))
a = sys.argv[2]
def has(**kw):
    return any(all(r.get(k) == v for k, v in kw.items()) for r in recs)
assert has(event="snapshot", result="ok", user="doc", detail=f"switch to {a}"), "switch not audited"
assert has(event="snapshot", result="ok", user="doc", detail="back to live"), "return not audited"
assert has(event="snapshot", result="denied", user="nurse"), "refused switch not audited"
assert has(event="snapshots", result="denied", user="nurse"), "refused list not audited"
assert has(event="pack", result="ok", user="nurse", detail="ward-3E.pdf"), "download not audited"
PYEOF
pass "switches, refusals and pack downloads are in the verified audit log"
