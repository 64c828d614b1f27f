# vault_rename: the EHR renames 2% of the messages _1 -> _2 (the same bytes under a new name);
# the next backup grows the repository by at most 1% (it was 16% when a patient's folders were
# rewritten whole with every change), and both snapshots restore exactly. The same in a
# repository of format 1, to show what the new format changed, and that it still works.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"

patients=200
small && patients=60
make_hospital "$S/src" $patients
new_repo "$T/repo"
new_repo "$T/repo1" --format 1
size() { du -sb "$1" | cut -f1; }

expect_status 0 cv backup --repo "$T/repo" --source "$S/src"
expect_status 0 cv backup --repo "$T/repo1" --source "$S/src"
before=$(size "$T/repo")
before1=$(size "$T/repo1")
hash0=$(tree_hash_meta "$S/src")
$GEN rename "$S/src" --percent 2 --seed 5 > "$T/rename.json"
expect_status 0 cv backup --repo "$T/repo" --source "$S/src" --json
expect_status 0 cv backup --repo "$T/repo1" --source "$S/src"
growth=$(( ($(size "$T/repo") - before) * 10000 / before ))
growth1=$(( ($(size "$T/repo1") - before1) * 10000 / before1 ))
[ "$growth" -le 100 ] || fail "renaming 2% of the files grew the repository by $((growth / 100)).$((growth % 100))% (at most 1%)"
pass "renaming $(json_field "$T/rename.json" renamed) of $(json_field "$T/rename.json" files) files (2%): the repository grew $((growth / 100)).$(printf %02d $((growth % 100)))% (format 1: $((growth1 / 100)).$(printf %02d $((growth1 % 100)))%)"

for r in repo repo1; do
    rm -rf "$S/r"
    expect_status 0 cv restore --repo "$T/$r" latest --target "$S/r"
    [ "$(tree_hash_meta "$S/r")" = "$(tree_hash_meta "$S/src")" ] || fail "$r: the latest snapshot restores differently"
    first=$(cv snapshots --repo "$T/$r" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    rm -rf "$S/r"
    expect_status 0 cv restore --repo "$T/$r" "$first" --target "$S/r"
    [ "$(tree_hash_meta "$S/r")" = "$hash0" ] || fail "$r: the first snapshot restores differently"
    expect_status 0 cv check --repo "$T/$r" --read-data
done
pass "both snapshots restore exactly, in a format-2 and a format-1 repository; check --read-data passes"
