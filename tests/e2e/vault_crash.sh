# vault_crash: a backup killed (kill -9) at 20 random moments (12 in the slower sanitizer
# build) never harms the repository:
# `check` passes after each kill and the next backup completes; earlier snapshots restore
# exactly. Two backups into one repository at the same time both succeed.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"

patients=100 rounds=20
small && patients=30 rounds=12
make_hospital "$S/src" $patients
new_repo "$T/repo" --pack-size 64K
expect_status 0 cv backup --repo "$T/repo" --source "$S/src" --json
snap0=$(json_field "$T/out" snapshot)
hash0=$(tree_hash_meta "$S/src")

# how long a backup that reads everything takes here, to spread the kills over it
start=$(date +%s%N)
expect_status 0 cv backup --repo "$T/repo" --source "$S/src" --read-all
duration_us=$(( ($(date +%s%N) - start) / 1000 ))

kills=0
for i in $(seq 1 $rounds); do
    $GEN mutate "$S/src" --new-percent 2 --rename-percent 1 --seed "$i" > /dev/null
    delay=$($PY -c "import random; print('%.6f' % (random.uniform(0, $duration_us) / 1e6))")
    "$CHARTVAULT" backup --repo "$T/repo" --source "$S/src" --read-all > /dev/null 2>&1 &
    pid=$! # the backup itself, not a subshell around it
    sleep "$delay"
    kill -9 $pid 2>/dev/null || true
    status=0
    wait $pid 2>/dev/null || status=$?
    [ "$status" = 137 ] && kills=$((kills + 1)) # died of the SIGKILL, not finished before it
    expect_status 0 cv check --repo "$T/repo"
    expect_status 0 cv backup --repo "$T/repo" --source "$S/src"
done
[ "$kills" -ge $((rounds / 2)) ] || fail "only $kills of $rounds kills landed while a backup was running"
pass "$rounds backups killed at random moments ($kills while running): check passed after each, the next backup completed"

expect_status 0 cv check --repo "$T/repo" --read-data
expect_status 0 cv restore --repo "$T/repo" "${snap0:0:8}" --target "$S/r0"
[ "$(tree_hash_meta "$S/r0")" = "$hash0" ] || fail "the first snapshot no longer restores exactly"
expect_status 0 cv restore --repo "$T/repo" latest --target "$S/r1"
[ "$(tree_hash_meta "$S/r1")" = "$(tree_hash_meta "$S/src")" ] || fail "the latest snapshot does not restore exactly"
pass "after the kills: check --read-data passes, the first and latest snapshots restore exactly"

# two backups at once, of two different trees, into the same repository
cp -a "$S/src" "$S/other"
$GEN mutate "$S/other" --new-percent 5 --rename-percent 2 --seed 99 > /dev/null
"$CHARTVAULT" backup --repo "$T/repo" --source "$S/src" --read-all --json > "$T/a.json" 2> "$T/a.err" &
pa=$!
"$CHARTVAULT" backup --repo "$T/repo" --source "$S/other" --read-all --json > "$T/b.json" 2> "$T/b.err" &
pb=$!
wait $pa || { cat "$T/a.err"; fail "the first of two concurrent backups failed"; }
wait $pb || { cat "$T/b.err"; fail "the second of two concurrent backups failed"; }
expect_status 0 cv check --repo "$T/repo" --read-data
for x in a:src b:other; do
    snap=$(json_field "$T/${x%%:*}.json" snapshot)
    expect_status 0 cv restore --repo "$T/repo" "$snap" --target "$S/rc-${x%%:*}"
    [ "$(tree_hash_meta "$S/rc-${x%%:*}")" = "$(tree_hash_meta "$S/${x#*:}")" ] || fail "concurrent snapshot of ${x#*:} differs"
done
pass "two backups at once: both complete, check --read-data passes, both restore exactly"
