# synth_cli: `chartvault synth` from the outside: --help, usage errors (exit 2), refusals
# (exit 1, one line, nothing touched), the summary line and --json, --facility in MSH-4,
# and determinism: same seed -> same tree (paths, bytes, file and folder times), another
# seed -> another tree.
. "$CV_SOURCE_DIR/tests/lib.sh"
# many small files: on tmpfs when there is one
W="$T"
if [ -w /dev/shm ]; then W=$(mktemp -d /dev/shm/cv-synth-cli.XXXXXX); trap 'rm -rf "$W"' EXIT; fi
# tree_state DIR: hash of every path, content and modification time (files and folders)
tree_state() { (cd "$1" && find . -printf '%p %T@\n' | LC_ALL=C sort | sha256sum | cut -c1-64; tree_hash .); }

expect_status 0 cv synth --help
assert_contains "$T/out" "usage: chartvault synth"
expect_status 2 cv synth
assert_contains "$T/err" "--out DIR is required"
expect_status 2 cv synth --out "$W/x"
assert_contains "$T/err" "--patients N is required"
expect_status 2 cv synth --out "$W/x" --patients 0
assert_contains "$T/err" "--patients wants a whole number"
expect_status 2 cv synth --out "$W/x" --patients 10 --years 99
expect_status 2 cv synth --out "$W/x" --patients 10 --end-date 2026-02-30
assert_contains "$T/err" "is not a date"
expect_status 2 cv synth --out "$W/x" --patients 10 --bogus
assert_contains "$T/err" "unknown option '--bogus'"
expect_status 2 cv synth --out "$W/x" --patients 10 extra
expect_status 2 cv synth --out
assert_contains "$T/err" "needs a value"
[ ! -e "$W/x" ] || fail "a usage error created the output folder"
pass "usage errors"

mkdir "$W/busy" && echo keep > "$W/busy/mine"
expect_status 1 cv synth --out "$W/busy" --patients 5 --manifest "$W/busy.json"
assert_contains "$T/err" "output folder '$W/busy' is not empty"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "error is not one line"
[ "$(ls "$W/busy")" = mine ] && [ ! -e "$W/busy.json" ] || fail "refused run touched things"
expect_status 1 cv synth --out "$W/busy/mine" --patients 5
assert_contains "$T/err" "is not a folder"
expect_status 1 cv synth --out "$W/in" --patients 5 --manifest "$W/in/m.json"
assert_contains "$T/err" "must not be inside the output folder"
expect_status 1 cv synth --out "$W/f" --patients 5 --facility 'AB|C'
assert_contains "$T/err" "facility ID"
pass "refusals"

expect_status 0 cv synth --out "$W/a" --patients 30 --seed 5 --years 1 --no-sync
grep -Eq "^wrote [0-9]+ files \(.*\) for 30 patients to '$W/a' in [0-9.]+ s, [0-9]+ files/s$" "$T/out" ||
    { cat "$T/out"; fail "summary line"; }
expect_status 0 cv synth --out "$W/b" --patients 30 --seed 5 --years 1 --json
$PY - "$T/out" <<'PYEOF' || fail "--json summary"
import json, sys
j = json.load(open(sys.argv[1]))
assert set(j) >= {"files", "bytes", "seconds", "files_per_second"}, j
assert j["files"] > 100 and j["bytes"] > j["files"] * 500, j
PYEOF
[ "$(tree_state "$W/a")" = "$(tree_state "$W/b")" ] || fail "same seed, different trees"
expect_status 0 cv synth --out "$W/c" --patients 30 --seed 6 --years 1 --no-sync
[ "$(tree_state "$W/a")" != "$(tree_state "$W/c")" ] || fail "another seed, same tree"
pass "same seed -> same tree (names, bytes, times); another seed -> another"

# the same run in another time zone and locale gives the same tree
TZ=America/New_York LC_ALL=C.UTF-8 cv synth --out "$W/d" --patients 30 --seed 5 --years 1 \
    --no-sync > /dev/null
[ "$(tree_state "$W/a")" = "$(tree_state "$W/d")" ] || fail "time zone or locale changed the tree"
pass "independent of time zone and locale"

expect_status 0 cv synth --out "$W/e" --patients 3 --years 1 --facility H000000042 --no-sync
f=$(find "$W/e" -type f | head -1)
head -c 60 "$f" | grep -q '^MSH|^~\\&|HIS123|H000000042|' || fail "--facility not in MSH-4"
pass "--facility in MSH-4"
