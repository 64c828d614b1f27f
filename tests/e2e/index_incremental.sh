# index_incremental: later runs of `chartvault index` read only what changed: a new file, a
# rename _1 -> _2 (no re-parse, history not current), changed content, a vanished file; a
# second run changes nothing; an emptied source is refused instead of forgetting everything.
. "$CV_SOURCE_DIR/tests/lib.sh"

cp -r "$CV_CORPUS" "$T/src"
db="$T/index.db"
p=999/901/9999013
count() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/out" "$1"; }
expect_status 0 cv index --source "$T/src" --db "$db" --json
expect_status 0 cv index --source "$T/src" --db "$db" --json
[ "$(count new)$(count updated)$(count renamed)$(count vanished)$(count unchanged)" = "000022" ] ||
    fail "second run was not idempotent: $(cat "$T/out")"
pass "second run: nothing to do"

lab=$T/src/$p/20111220/OML-11/9999013_20111220_OML-11_000000011000354_20111220103059000_01_1
mv "$lab" "${lab%_1}_2"
diet=$T/src/$p/20111013/OMD/9999013_20111013_OMD_123456789012345_20111014232213000_01_1
printf 'MSH|^~\\&|H|S|G|R|20111014232213||OMD^O03^OMD_O03|2|P|2.5\rPID|1||9999013\rORC|NW|123456789012345|||||||20111013232213\rTQ1|1||||||2011101607\rODS|D||001^^99XY3|low fat\r' > "$diet"
rm "$T/src/$p/20111220/OMG-13/"*
mkdir -p "$T/src/$p/20111221/OMD"
printf 'MSH|^~\\&|H|S|G|R|20111221000000||OMD^O03^OMD_O03|3|P|2.5\rPID|1||9999013\rORC|NW|1|||||||20111221000000\rTQ1|1||||||2011122107\rODS|D||001^^99XY3|soft food\r' \
    > "$T/src/$p/20111221/OMD/9999013_20111221_OMD_1_20111221000000000_01_1"
expect_status 0 cv index --source "$T/src" --db "$db" --json
[ "$(count new) $(count updated) $(count renamed) $(count superseded) $(count vanished)" = "1 1 1 1 1" ] ||
    fail "changes not seen as expected: $(cat "$T/out")"
expect_status 0 cv query --db "$db" --json patient 9999013
"$PY" - "$T/out" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["labs"] == [], p["labs"]                         # the only result is now _2
assert [d["text"] for d in p["diet"]] == ["soft food", "low fat"], p["diet"]
assert {r["kind"] for r in p["reports"]} == {"endoscopy"}, p["reports"]
PY
pass "new, renamed _1->_2, changed and vanished files"

expect_status 0 cv index --source "$T/src" --db "$db" --json
[ "$(count new)$(count updated)$(count renamed)$(count vanished)" = "0000" ] || fail "not idempotent"
touch "$T/src/$p/-/ADT-00/"*
expect_status 0 cv index --source "$T/src" --db "$db" --json
[ "$(count updated)$(count unchanged)" = "022" ] || fail "a touched file was re-read as changed"
pass "idempotent; a touched file with the same bytes is not a change"

mkdir "$T/empty"
expect_status 1 cv index --source "$T/empty" --db "$db"
assert_contains "$T/err" "refusing to forget them"
expect_status 0 cv query --db "$db" --json info
assert_contains "$T/out" '"patients":1'
pass "an empty source (unmounted share?) is refused"

expect_status 0 cv index --source "$T/src" --db "$db" --reread --json
[ "$(count new)" = 22 ] || fail "--reread did not read every file"
expect_status 0 cv query --db "$db" --json patient 9999013
assert_contains "$T/out" "soft food"
pass "--reread rebuilds"
