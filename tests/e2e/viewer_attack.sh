# viewer_attack: the findings of an attack on the viewer from 127.0.0.1 (issue 21), each tried
# again as the attacker did: a page too big to build (500, never a page with a piece missing),
# ... (more below as each finding gets its test).
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
expect_status 0 cv user add nurse --role viewer --state "$S" --password-file "$T/pw"
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

stop_server
