# fault_index: `chartvault index` with write, fsync, rename, open and mkdir failing at the Nth
# call under the index's folder (EIO, ENOSPC, EDQUOT, a torn write), for a new index and for a
# rebuild of an existing one (--reread): every run ends with exit 1 and the cause named (no
# crash, no sanitizer report), an existing index still answers as before, and the next run
# without faults gives the same answers as an index that never met a fault. A fault SQLite
# absorbs by design (the checkpoint at close, with the data already in the WAL; the sync of the
# folder) may let a run succeed: then its index must give the right answers.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/fault/lib-fault.sh"

cp -r "$CV_CORPUS" "$T/src"
# the index on tmpfs when there is one: the many runs here would wait on real fsyncs otherwise
IX=$(mktemp -d /dev/shm/cv-fault-XXXXXX 2> /dev/null || mktemp -d "$T/ix-XXXXXX")
trap 'rm -rf "$IX"' EXIT
FAULT_PREFIX="$IX"
db="$IX/index.db"
answers() { # what the index says of both patients of the corpus
    cv query --db "$1" patient 9999013 --json
}
expect_status 0 cv index --source "$T/src" --db "$T/ref.db"
ref=$(answers "$T/ref.db")

errnos=(EIO ENOSPC EDQUOT)
runs=0 fired=0
absorbed=()
for scenario in new reread; do
    for op in write fsync rename open mkdir; do
        [ "$scenario" = new ] && rm -f "$db"*
        args=(index --source "$T/src" --db "$db")
        [ "$scenario" = reread ] && args+=(--reread)
        calls=$(fault_calls "$op" "$CHARTVAULT" "${args[@]}")
        [ "$scenario" = reread ] || rm -f "$db"*
        case $op in write) samples=3 ;; fsync | open) samples=2 ;; *) samples=1 ;; esac
        [ "${CV_SANITIZE:-0}" = 1 ] || [ "${CV_SANITIZE:-}" = ON ] && [ $samples -gt 1 ] && samples=$((samples - 1))
        i=0
        for n in $(spread "${calls:-0}" $samples); do
            e=${errnos[$((i % 3))]}
            FAULT_MODE=fail
            [ "$op" = write ] && [ $((i % 2)) = 1 ] && FAULT_MODE=torn
            i=$((i + 1)) runs=$((runs + 1))
            [ "$scenario" = new ] && rm -f "$db"*
            run_status faulty "$op" "$n" "$e" "$CHARTVAULT" "${args[@]}"
            what="index ($scenario) with $op #$n of $calls failing ($e, $FAULT_MODE)"
            if fault_fired && [ "$got" -ne 0 ]; then
                fired=$((fired + 1))
                expect_clear_error "$e" "$what"
            else
                # no fault, or one the run absorbed: then its index must be whole
                [ "$got" -eq 0 ] || { cat "$T/err" >&2; fail "$what: no fault fired, yet exit $got"; }
                fault_fired && absorbed+=("$(sed -n 's/^fired //p' "$T/fault.log" | sed "s|$IX/||")")
                [ "$(answers "$db")" = "$ref" ] || fail "$what: exit 0, but the index is not whole"
            fi
            if [ "$scenario" = reread ]; then
                [ "$(answers "$db")" = "$ref" ] || fail "$what: the existing index changed its answers"
            fi
            expect_status 0 cv index --source "$T/src" --db "$db"
            [ "$(answers "$db")" = "$ref" ] || fail "$what: the next run gave other answers"
        done
    done
done
[ "$runs" -ge 8 ] && [ $((fired * 2)) -ge "$runs" ] || fail "only $fired of $runs faults failed the run"
pass "index: $runs runs with an injected fault: $fired clear errors, ${#absorbed[@]} absorbed with a whole index (${absorbed[*]}), the old index intact, the next run right"
