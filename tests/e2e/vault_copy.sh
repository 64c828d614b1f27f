#!/bin/bash
# vault_copy.sh: `chartvault copy` between local folders (the removable disk case; S3 is
# tests/e2e/vault_s3.sh): chosen snapshots take only the packs they use and restore from the
# copy; a copy stopped after its packs (before their index objects) is completed; a snapshot
# whose data is gone from the source is refused whole; --all completes a chosen copy; the
# usage rules (--all or snapshots; no passphrase for --all).
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"

L="$T/repo"
cv synth --out "$S/a" --patients 2 --years 1 --seed 3 --no-sync > /dev/null
cp -r "$CV_CORPUS" "$S/b"
head -c 400000 /dev/urandom > "$S/b/noise.bin" # does not compress: packs of its own
new_repo "$L" --pack-size 64K
expect_status 0 cv backup --repo "$L" --source "$S/a" --json
a=$(json_field "$T/out" snapshot)
expect_status 0 cv backup --repo "$L" --source "$S/b" --json
b=$(json_field "$T/out" snapshot)
npacks=$(find "$L/packs" -type f | wc -l)

# ---- one chosen snapshot: only what it needs, and it restores -------------------------------
D="$T/disk"
expect_status 0 cv copy --from "$L" --to "$D" "${a:0:8}" --json
assert_contains "$T/out" '"created":true'
[ "$(ls "$D/snapshots")" = "$a" ] || fail "the copy holds other snapshots than $a"
a_packs=$(cd "$D" && find packs -type f)
dpacks=$(echo "$a_packs" | wc -l)
[ "$dpacks" -gt 0 ] && [ "$dpacks" -lt "$npacks" ] || fail "$dpacks of $npacks packs copied for one snapshot"
for p in $(cd "$D" && find packs -type f); do cmp -s "$L/$p" "$D/$p" || fail "$p differs from the source's"; done
cmp -s "$L/config" "$D/config" || fail "the copy has another config"
expect_status 0 cv check --repo "$D" --read-data
expect_status 0 cv restore --repo "$D" latest --target "$S/ra"
[ "$(tree_hash_meta "$S/a")" = "$(tree_hash_meta "$S/ra")" ] || fail "restore of the chosen snapshot differs"
expect_status 0 cv copy --from "$L" --to "$D" "${a:0:8}" latest --json
assert_contains "$T/out" '"created":false'
expect_status 0 cv check --repo "$D" --read-data
expect_status 0 cv restore --repo "$D" "${b:0:8}" --target "$S/rb"
[ "$(tree_hash "$S/b")" = "$(tree_hash "$S/rb")" ] || fail "restore of the second snapshot differs"
pass "copy SNAPSHOT: $dpacks of $npacks packs (the source's own bytes), check --read-data, restore; a second adds what it needs"

# ---- a copy stopped after its packs, before their index object and snapshot ----------------------
D2="$T/stopped"
expect_status 0 cv copy --from "$L" --to "$D2" "${b:0:8}"
rm -f "$D2"/snapshots/* "$D2"/index/*
expect_status 0 cv copy --from "$L" --to "$D2" "${b:0:8}" --json
assert_contains "$T/out" '"copied":2,' # the index object that describes the packs already there, the snapshot
expect_status 0 cv check --repo "$D2" --read-data
expect_status 0 cv restore --repo "$D2" latest --target "$S/rb2"
[ "$(tree_hash "$S/b")" = "$(tree_hash "$S/rb2")" ] || fail "restore after completing a stopped copy differs"
pass "a copy stopped before its index object is completed: the packs there are described, not copied again"

# ---- --all after chosen snapshots: a replica ---------------------------------------------------
expect_status 0 cv copy --from "$L" --to "$D2" --all
expect_status 0 cv check --repo "$D2" --read-data
[ "$(cv snapshots --repo "$L" --json)" = "$(cv snapshots --repo "$D2" --json)" ] || fail "--all did not complete the copy"
pass "--all after chosen snapshots makes a replica"

# ---- a snapshot whose data is gone from the source is not copied ----------------------------
moved=$(echo "$a_packs" | head -1) # a pack the first snapshot needs
mv "$L/$moved" "$T/moved-pack"
expect_status 1 cv copy --from "$L" --to "$T/broken" "${a:0:8}"
assert_contains "$T/err" "${moved##*/}"
[ -z "$(ls "$T/broken/snapshots" 2> /dev/null)" ] || fail "a snapshot was copied without its data"
mv "$T/moved-pack" "$L/$moved"
pass "a snapshot the source cannot give whole is not copied (the missing pack is named)"

# ---- usage -------------------------------------------------------------------------------------
expect_status 2 cv copy --from "$L" --to "$T/x" --all "${a:0:8}"
expect_status 2 cv copy --from "$L" --to "$T/x"
assert_contains "$T/err" "--all"
expect_status 2 cv copy --from "$L" --to "$T/x" --all --password-file /dev/null
expect_status 1 cv copy --from "$L" --to "$T/x" nothere
assert_contains "$T/err" "not a snapshot ID"
expect_status 1 cv copy --from "$L" --to "$T/x" abcdef12
assert_contains "$T/err" "no snapshot 'abcdef12'"
CHARTVAULT_PASSWORD=wrong-passphrase expect_status 1 cv copy --from "$L" --to "$T/x" "${a:0:8}"
[ ! -e "$T/x" ] || fail "a wrong passphrase or snapshot made a target"
expect_status 0 cv copy --help
assert_contains "$T/out" "SNAPSHOT"
pass "usage: --all or snapshots, --all takes no passphrase, a wrong passphrase or snapshot makes no target"
