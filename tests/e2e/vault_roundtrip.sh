# vault_roundtrip: backup -> restore gives back a byte-identical tree with its mtimes; the
# second backup after 1% new files and 0.5% _1 -> _2 renames adds only the new bytes; diff sees
# the renames; --patient and --include restore just their part; snapshots/ls/--json; the
# reference index goes in with --db and comes back out with dump-index.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"

patients=200
small && patients=60
make_hospital "$S/src" $patients
new_repo "$T/repo"

# a reference index to store beside it: any SQLite database will do here
sqlite3 "$T/index.db" "create table patient(id text primary key, name text);
    insert into patient values ('9999013', 'test');" || fail "sqlite3"

expect_status 0 cv backup --repo "$T/repo" --source "$S/src" --db "$T/index.db" --tag first --json
cp "$T/out" "$T/b1.json"
files=$(find "$S/src" -type f | wc -l)
[ "$(json_field "$T/b1.json" files)" = "$files" ] || fail "backup counted $(json_field "$T/b1.json" files) files, the tree has $files"
[ "$(json_field "$T/b1.json" files_new)" = "$files" ] || fail "first backup: not all files new"
snap1=$(json_field "$T/b1.json" snapshot)
pass "first backup of $files files"

expect_status 0 cv restore --repo "$T/repo" latest --target "$S/r1" --json
[ "$(tree_hash_meta "$S/src")" = "$(tree_hash_meta "$S/r1")" ] || fail "restore differs from the source"
expect_status 1 cv restore --repo "$T/repo" latest --target "$S/r1"
assert_contains "$T/err" "is not empty"
pass "restore is byte-identical, with mtimes; a non-empty target is refused"

# one patient, well under a second, and nothing else
pid=$(ls "$S/src"/*/* | grep -v : | grep -v '^$' | head -1)
start=$(date +%s%N)
expect_status 0 cv restore --repo "$T/repo" "${snap1:0:8}" --target "$S/r-patient" --patient "$pid"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
pdir=$(cd "$S/src" && ls -d */*/"$pid")
[ "$(tree_hash "$S/src/$pdir")" = "$(tree_hash "$S/r-patient/$pdir")" ] || fail "patient restore differs"
[ "$(find "$S/r-patient" -type f | wc -l)" = "$(find "$S/src/$pdir" -type f | wc -l)" ] || fail "patient restore has extra files"
pass "--patient restores one patient's $(find "$S/src/$pdir" -type f | wc -l) files ($ms ms)"

expect_status 0 cv restore --repo "$T/repo" latest --target "$S/r-adt" --include '*/ADT-00/*'
[ "$(find "$S/r-adt" -type f | wc -l)" = "$(find "$S/src" -type f -path '*/ADT-00/*' | wc -l)" ] || fail "--include restored the wrong files"
pass "--include"

# the change the issue asks for, then a second backup: only the new bytes are added
$GEN mutate "$S/src" --new-percent 1 --rename-percent 0.5 --seed 3 > "$T/mutate.json"
new_bytes=$(json_field "$T/mutate.json" new_bytes)
renamed=$(json_field "$T/mutate.json" renamed)
expect_status 0 cv backup --repo "$T/repo" --source "$S/src" --json
cp "$T/out" "$T/b2.json"
added=$(json_field "$T/b2.json" added_data_raw)
[ "$added" = "$new_bytes" ] || fail "second backup added $added bytes of data, the change was $new_bytes"
new_files=$(json_field "$T/mutate.json" new_files)
[ "$(json_field "$T/b2.json" files_new)" = $((new_files + renamed)) ] || fail "second backup: $(json_field "$T/b2.json" files_new) new paths, wanted $((new_files + renamed))"
unchanged=$(json_field "$T/b2.json" files_unchanged)
[ "$unchanged" = $((files - renamed)) ] || fail "$unchanged files recognised as unchanged, wanted $((files - renamed))"
pass "second backup added exactly the $new_bytes new bytes ($renamed renames cost nothing)"

expect_status 0 cv diff --repo "$T/repo" "${snap1:0:8}" latest --json
[ "$(json_field "$T/out" renamed)" = "$renamed" ] || fail "diff found $(json_field "$T/out" renamed) renames, wanted $renamed"
expect_status 0 cv diff --repo "$T/repo" "${snap1:0:8}" latest
assert_contains "$T/out" "^R .*_1 -> .*_2$"
pass "diff reports the _1 -> _2 renames"

expect_status 0 cv restore --repo "$T/repo" latest --target "$S/r2"
[ "$(tree_hash_meta "$S/src")" = "$(tree_hash_meta "$S/r2")" ] || fail "second restore differs"
expect_status 0 cv restore --repo "$T/repo" "${snap1:0:8}" --target "$S/r1b"
[ "$(tree_hash_meta "$S/r1")" = "$(tree_hash_meta "$S/r1b")" ] || fail "first snapshot changed"
pass "both snapshots restore exactly"

expect_status 0 cv snapshots --repo "$T/repo" --json
$PY -c 'import json,sys; s=json.load(open(sys.argv[1])); assert len(s)==2 and s[0]["tags"]==["first"] and s[0]["index"]=="index.db" and s[1]["index"] is None, s' "$T/out" || fail "snapshots --json"
expect_status 0 cv snapshots --repo "$T/repo"
assert_contains "$T/out" "2 snapshots"
expect_status 0 cv ls --repo "$T/repo" latest "$pdir" --json
$PY -c 'import json,sys; l=json.load(open(sys.argv[1])); assert l[0]["type"]=="dir" and any(e["type"]=="file" for e in l), l[:3]' "$T/out" || fail "ls --json"
expect_status 0 cv ls --repo "$T/repo" latest
[ "$(grep -vc '/$' "$T/out")" = "$(find "$S/src" -type f | wc -l)" ] || fail "ls lists the wrong number of files"
pass "snapshots and ls (text and --json)"

expect_status 0 cv dump-index --repo "$T/repo" "${snap1:0:8}" --out "$T/dumped.db"
[ "$(sqlite3 "$T/index.db" .dump)" = "$(sqlite3 "$T/dumped.db" .dump)" ] || fail "dump-index gave a different database"
[ "$(sqlite3 "$T/dumped.db" 'select name from patient')" = test ] || fail "dumped index unreadable"
[ "$(stat -c %a "$T/dumped.db")" = 600 ] || fail "dumped index is not private"
expect_status 1 cv dump-index --repo "$T/repo" "${snap1:0:8}" --out "$T/dumped.db"
assert_contains "$T/err" "exists"
expect_status 1 cv dump-index --repo "$T/repo" latest --out "$T/none.db"
assert_contains "$T/err" "holds no reference index"
# the real reference index, made by chartvault index, stored and dumped: query must read it
expect_status 0 cv index --source "$S/src" --db "$T/real.db"
expect_status 0 cv query --db "$T/real.db" --as-of 2026-11-01 patient "$pid" --json
cp "$T/out" "$T/query-before.json"
expect_status 0 cv backup --repo "$T/repo" --source "$S/src" --db "$T/real.db"
expect_status 0 cv dump-index --repo "$T/repo" latest --out "$T/real-dumped.db"
expect_status 0 cv query --db "$T/real-dumped.db" --as-of 2026-11-01 patient "$pid" --json
assert_contains "$T/out" "\"$pid\""
cmp -s "$T/out" "$T/query-before.json" || fail "query of the dumped index differs from the original's"
pass "dump-index gives a database that chartvault query reads, with the same answer"
pass "dump-index"

expect_status 0 cv check --repo "$T/repo" --read-data
assert_contains "$T/out" "no problems found"
pass "check --read-data"
