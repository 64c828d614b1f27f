# vault_retention: forget and prune. Every snapshot a policy keeps restores byte for byte after
# each prune, and check --read-data passes after each; dry runs change nothing; prune killed
# (kill -9) at random moments never harms the repository; a prune beside backups never leaves a
# snapshot that names removed data: a backup that started before the prune's record and
# relied on a pack it removes refuses to save, one that starts after stores the data afresh
# (each case fails if its safeguard is taken out: the record read at the start, the check at
# the end).
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"

patients=8
small && patients=4
make_hospital "$S/src" $patients
new_repo "$T/repo" --pack-size 64K --merge 2,2
R="$T/repo"

nsnap() { cv snapshots --repo "$R" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# backup_saved: a backup of the tree now; its snapshot's tree hash is kept in $T/h.<id>
backup_saved() {
    cv backup --repo "$R" --source "$S/src" --json "$@" > "$T/b.json" || return 1
    tree_hash_meta "$S/src" > "$T/h.$(json_field "$T/b.json" snapshot)"
}
# kept_restore: every snapshot left restores to the tree it was made of
kept_restore() {
    for id in $(cv snapshots --repo "$R" --json | $PY -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))'); do
        rm -rf "$S/r"
        cv restore --repo "$R" "$id" --target "$S/r" > /dev/null 2> "$T/rerr" || { cat "$T/rerr"; fail "snapshot ${id:0:8} does not restore"; }
        [ "$(tree_hash_meta "$S/r")" = "$(cat "$T/h.$id")" ] || fail "snapshot ${id:0:8} restores differently"
    done
}
repo_files() { (cd "$R" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

for i in $(seq 1 10); do
    [ "$i" = 1 ] || $GEN churn "$S/src" --seed "$i"
    backup_saved || fail "backup $i failed"
done

# ---- dry runs remove nothing
repo_files > "$T/before"
expect_status 0 cv forget --repo "$R" --keep-last 3 --dry-run --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["dry_run"] and d["forgotten"] == 7 and d["kept"] == 3, d' "$T/out" || fail "forget --dry-run --json"
expect_status 0 cv forget --repo "$R" --keep-last 3
[ "$(nsnap)" = 3 ] || fail "forget --keep-last 3 left $(nsnap) snapshots"
repo_files > "$T/before"
expect_status 0 cv prune --repo "$R" --dry-run --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["packs_unused"] > 0 and d["unused_bytes"] > 0 and d["removed"] == 0 and len(d["objects"]) == d["packs_unused"], d' "$T/out" || fail "prune --dry-run --json"
repo_files > "$T/after"
cmp -s "$T/before" "$T/after" || fail "a dry run changed the repository"
pass "forget and prune --dry-run say what would go ($(json_field "$T/out" packs_unused) packs, $(json_field "$T/out" unused_bytes) bytes) and change nothing"

# ---- prune: what is kept restores exactly
expect_status 0 cv prune --repo "$R" --grace 0 --json
removed=$(json_field "$T/out" removed)
[ "$removed" -gt 0 ] || fail "prune removed nothing"
expect_status 0 cv check --repo "$R" --read-data
kept_restore
pass "prune removed $removed packs; check --read-data passes; the 3 kept snapshots restore byte for byte"

# ---- prune killed at random moments
start=$(date +%s%N)
expect_status 0 cv prune --repo "$R" --grace 0 --dry-run
duration_us=$(( ($(date +%s%N) - start) / 1000 ))
kills=0
for i in $(seq 11 15); do
    $GEN churn "$S/src" --seed "$i"
    backup_saved || fail "backup $i failed"
    $GEN churn "$S/src" --seed "$((i + 100))"
    backup_saved || fail "backup $i b failed"
    expect_status 0 cv forget --repo "$R" --keep-last 2
    delay=$($PY -c "import random; print('%.6f' % (random.uniform(0, $duration_us) / 1e6))")
    "$CHARTVAULT" prune --repo "$R" --grace 0 > /dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 $pid 2>/dev/null || true
    status=0
    wait $pid 2>/dev/null || status=$?
    [ "$status" = 137 ] && kills=$((kills + 1))
    expect_status 0 cv check --repo "$R"
done
expect_status 0 cv prune --repo "$R" --grace 0
expect_status 0 cv check --repo "$R" --read-data
kept_restore
[ "$kills" -ge 3 ] || fail "only $kills of 5 kills landed while prune was running"
pass "5 prunes killed at random moments ($kills while running): check passed after each; then prune, check --read-data and every kept snapshot restore"

# ---- beside a backup: data only a forgotten snapshot held, needed again. (A file removed from
# the source keeps its data while a run below the newest one still names it; a full tree,
# --read-all, names only what is there.)
forget_x() {
    rm "$S/src/beside/x"
    backup_saved --read-all || fail "backup without x failed"
    expect_status 0 cv forget --repo "$R" --keep-last 1
    expect_status 0 cv prune --repo "$R" --dry-run --json
    [ "$(json_field "$T/out" unused_bytes)" -ge 200000 ] || { cat "$T/out"; fail "x's data is still needed"; }
}
mkdir -p "$S/src/beside"
head -c 200000 /dev/urandom > "$S/x"
cp "$S/x" "$S/src/beside/x"
backup_saved || fail "backup with x failed"
forget_x
# (a) the prune's record exists when the backup starts: x is stored afresh. The backup is
# stopped (SIGSTOP) once it walks the tree and goes on only when the prune has finished, so
# the prune's second look cannot see its snapshot: only the record keeps it off x's old pack
# (built on it, it would refuse to save, as in (b)).
# (records of the prunes killed above stay an hour: a prune cannot know theirs stopped)
records() { ls "$R/prune" 2>/dev/null | grep -c . || true; }
wait_record() { for _ in $(seq 200); do [ "$(records)" -gt "$1" ] && return 0; sleep 0.05; done; return 1; }
for i in $(seq 1 150); do head -c 50000 /dev/urandom > "$S/src/beside/slow-$i"; done
n=$(records)
"$CHARTVAULT" prune --repo "$R" --grace 4s > "$T/prune-a.out" 2>&1 &
pid=$!
wait_record "$n" || fail "no prune record appeared"
cp "$S/x" "$S/src/beside/x"
"$CHARTVAULT" backup --repo "$R" --source "$S/src" --json > "$T/b.json" 2> "$T/ba.err" &
bpid=$!
walking() { ls -l "/proc/$bpid/fd" 2>/dev/null | grep -q "$S/src"; }
for _ in $(seq 2000); do walking && break; done
kill -STOP $bpid || fail "the backup ended before it could be stopped"
wait $pid || { cat "$T/prune-a.out"; fail "prune (a) failed"; }
kill -CONT $bpid
wait $bpid || { cat "$T/ba.err"; fail "a backup that started after the prune's record failed"; }
tree_hash_meta "$S/src" > "$T/h.$(json_field "$T/b.json" snapshot)"
expect_status 0 cv check --repo "$R" --read-data
kept_restore
pass "a backup that starts while prune waits and ends after it stores what prune removes afresh: check --read-data passes, every snapshot restores"

# (b) the backup starts before the prune and relies on a pack the prune removes: it refuses.
# It is stopped (SIGSTOP) once it walks the tree (so it has loaded the index, with no record
# yet), the prune writes its record, then the backup goes on and ends during the grace.
forget_x
for i in $(seq 1 150); do head -c 50000 /dev/urandom > "$S/src/beside/slow-$i"; done
cp "$S/x" "$S/src/beside/x"
"$CHARTVAULT" backup --repo "$R" --source "$S/src" --read-all --json > "$T/b2.json" 2> "$T/b2.err" &
bpid=$!
walking() { ls -l "/proc/$bpid/fd" 2>/dev/null | grep -q "$S/src"; }
for _ in $(seq 2000); do walking && break; done
kill -STOP $bpid || fail "the backup ended before it could be stopped"
n=$(records)
"$CHARTVAULT" prune --repo "$R" --grace 4s > "$T/prune-b.out" 2>&1 &
ppid=$!
wait_record "$n" || fail "no prune record appeared"
kill -CONT $bpid
bstatus=0
wait $bpid || bstatus=$?
wait $ppid || { cat "$T/prune-b.out"; fail "prune (b) failed"; }
[ "$bstatus" = 1 ] || fail "a backup relying on a pack the prune removes saved its snapshot (exit $bstatus)"
assert_contains "$T/b2.err" "run the backup again"
expect_status 0 cv check --repo "$R" --read-data
kept_restore
backup_saved || fail "the backup run again failed"
kept_restore
pass "a backup relying on what a prune beside it removes refuses to save its snapshot; check --read-data passes; run again, it works"
