# fault_vault: `chartvault backup` and `chartvault copy` (local to local) with write, fsync,
# rename, open and mkdir failing at the Nth call under the target repository (EIO, ENOSPC,
# EDQUOT, torn writes; a spread of N over all the calls of each kind): every run ends with
# exit 1 and the cause named (no crash, no sanitizer report); the repository passes `check`
# right after, the snapshot already there restores byte for byte, and the next run without
# faults succeeds and passes `check --read-data`.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"
. "$CV_SOURCE_DIR/tests/fault/lib-fault.sh"

cv synth --out "$S/src" --patients 3 --years 1 --seed 3 --no-sync > /dev/null
head -c 150000 /dev/urandom > "$S/src/noise.bin" # does not compress: packs of its own
# repositories on tmpfs too (lib-vault.sh's $S when there is one): the many runs here would
# wait on real fsyncs otherwise
R0="$S/base" R="$S/repo"
new_repo "$R0" --pack-size 64K
expect_status 0 cv backup --repo "$R0" --source "$S/src" --json
snap0=$(json_field "$T/out" snapshot)
hash0=$(tree_hash_meta "$S/src")
$GEN mutate "$S/src" --new-percent 30 --rename-percent 5 --seed 1 > /dev/null
head -c 150000 /dev/urandom > "$S/src/noise2.bin"
hash1=$(tree_hash_meta "$S/src")

errnos=(EIO ENOSPC EDQUOT)
# how many N of each kind: a spread over all its calls, the first and the last included
samples() { if [ "$1" = write ]; then small && echo 2 || echo 3; else small && echo 1 || echo 2; fi; }
# each run starts from the repository with one snapshot (R0), so every N means the same call
fresh() { rm -rf "$R"; cp -a "$R0" "$R"; }
# after_fault WHAT ERRNO: the fault's run failed clearly, the repository is whole, the first
# snapshot is there, and a run without faults completes
after_fault() {
    if fault_fired; then
        fired=$((fired + 1))
        expect_clear_error "$2" "$1"
    else
        [ "$got" -eq 0 ] || { cat "$T/err" >&2; fail "$1: no fault fired, yet exit $got"; }
    fi
    run_status cv check --repo "$R"
    [ "$got" -eq 0 ] || { cat "$T/err" >&2; fail "$1: check failed after the fault"; }
    [ -f "$R/snapshots/$snap0" ] || fail "$1: the first snapshot is gone"
}

# ---- backup -------------------------------------------------------------------------------------
FAULT_PREFIX="$R"
runs=0 fired=0
for op in write fsync rename open mkdir; do
    fresh
    calls=$(fault_calls "$op" "$CHARTVAULT" backup --repo "$R" --source "$S/src")
    i=0
    for n in $(spread "${calls:-0}" "$(samples "$op")"); do
        e=${errnos[$((i % 3))]}
        FAULT_MODE=fail
        [ "$op" = write ] && [ $((i % 2)) = 1 ] && FAULT_MODE=torn
        i=$((i + 1)) runs=$((runs + 1))
        fresh
        run_status faulty "$op" "$n" "$e" "$CHARTVAULT" backup --repo "$R" --source "$S/src"
        after_fault "backup with $op #$n of $calls failing ($e, $FAULT_MODE)" "$e"
        expect_status 0 cv backup --repo "$R" --source "$S/src" --json
    done
    # the last run of each kind: the data as well
    expect_status 0 cv check --repo "$R" --read-data
done
# and both snapshots of the last restore exactly
expect_status 0 cv restore --repo "$R" "${snap0:0:8}" --target "$S/r0"
[ "$(tree_hash_meta "$S/r0")" = "$hash0" ] || fail "backup with faults: the first snapshot changed"
expect_status 0 cv restore --repo "$R" latest --target "$S/r1"
[ "$(tree_hash_meta "$S/r1")" = "$hash1" ] || fail "backup with faults: the next backup is not exact"
[ "$runs" -ge 5 ] && [ $((fired * 4)) -ge $((runs * 3)) ] || fail "backup: only $fired of $runs faults fired"
pass "backup: $runs runs with an injected fault ($fired fired): clear errors, check clean, the next backup exact"

# ---- a persistent fault (a disk that stays full) in the middle of a backup ------------------------
fresh
FAULT_PERSIST=1 FAULT_MODE=fail
calls=$(fault_calls write "$CHARTVAULT" backup --repo "$R" --source "$S/src")
fresh
run_status faulty write $((calls / 2)) ENOSPC "$CHARTVAULT" backup --repo "$R" --source "$S/src"
after_fault "backup with every write from #$((calls / 2)) failing" ENOSPC
FAULT_PERSIST=0
expect_status 0 cv backup --repo "$R" --source "$S/src"
expect_status 0 cv check --repo "$R" --read-data
pass "backup: every write failing from the middle on (ENOSPC): a clear error, the next backup completes"

# ---- copy to another local repository that holds the first snapshot --------------------------------
expect_status 0 cv backup --repo "$R0" --source "$S/src" --json
D0="$S/copy-base"
expect_status 0 cv copy --from "$R0" --to "$D0" "${snap0:0:8}"
R="$S/copy" R0_SRC="$R0" R0="$D0"
FAULT_PREFIX="$R"
runs=0 fired=0
for op in write fsync rename open mkdir; do
    fresh
    calls=$(fault_calls "$op" "$CHARTVAULT" copy --from "$R0_SRC" --to "$R" --all)
    i=0
    for n in $(spread "${calls:-0}" "$(samples "$op")"); do
        e=${errnos[$((i % 3))]}
        FAULT_MODE=fail
        [ "$op" = write ] && [ $((i % 2)) = 1 ] && FAULT_MODE=torn
        i=$((i + 1)) runs=$((runs + 1))
        fresh
        run_status faulty "$op" "$n" "$e" "$CHARTVAULT" copy --from "$R0_SRC" --to "$R" --all
        after_fault "copy with $op #$n of $calls failing ($e, $FAULT_MODE)" "$e"
        expect_status 0 cv copy --from "$R0_SRC" --to "$R" --all
    done
    expect_status 0 cv check --repo "$R" --read-data
    [ "$(cv snapshots --repo "$R0_SRC" --json)" = "$(cv snapshots --repo "$R" --json)" ] ||
        fail "copy, $op faults: the next copy is not a replica"
done
[ "$runs" -ge 5 ] && [ $((fired * 4)) -ge $((runs * 3)) ] || fail "copy: only $fired of $runs faults fired"
expect_status 0 cv restore --repo "$R" "${snap0:0:8}" --target "$S/rc0"
[ "$(tree_hash_meta "$S/rc0")" = "$hash0" ] || fail "copy: the first snapshot changed"
pass "copy: $runs runs with an injected fault ($fired fired): clear errors, check clean, the next copy a replica"
