# lib-fault.sh: I/O fault injection for the end-to-end tests (sourced after tests/lib.sh).
# tests/fault/faultfs.c (built as libfaultfs.so beside the binary, never installed) is preloaded
# into one command; only calls on paths under FAULT_PREFIX count. See faultfs.c for the knobs.
FAULTFS="$(dirname "$CHARTVAULT")/libfaultfs.so"
[ -f "$FAULTFS" ] || fail "$FAULTFS is missing (the build makes it)"
# gcc's ASan wants its runtime first in the library list; a preloaded library that only wraps
# libc calls is harmless before it (ASan's interceptors still run: faultfs calls the next one).
FAULT_ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
FAULT_PREFIX=""
FAULT_MODE=fail
FAULT_PERSIST=0

# fault_env OP N ERRNO: FAULT_ENV, the environment (for env) that makes the Nth call of kind
# OP (a list: 3,7) under FAULT_PREFIX fail with ERRNO; fault lines and each process's count go
# to $T/fault.log
fault_env() {
    FAULT_ENV=(LD_PRELOAD="$FAULTFS" ASAN_OPTIONS="$FAULT_ASAN_OPTIONS"
        CV_FAULT_PREFIX="$FAULT_PREFIX" CV_FAULT_OP="$1" CV_FAULT_N="$2" CV_FAULT_ERRNO="$3"
        CV_FAULT_MODE="$FAULT_MODE" CV_FAULT_PERSIST="$FAULT_PERSIST" CV_FAULT_LOG="$T/fault.log")
    : > "$T/fault.log"
}

# faulty OP N ERRNO CMD...: run CMD with that fault
faulty() {
    fault_env "$1" "$2" "$3"; shift 3
    env "${FAULT_ENV[@]}" "$@"
}

# fault_calls OP CMD...: how many calls of kind OP under FAULT_PREFIX CMD makes (none fails)
fault_calls() {
    op=$1; shift
    faulty "$op" 0 EIO "$@" > /dev/null 2>&1 || fail "'$*' failed without a fault"
    sed -n 's/^calls=\([0-9]*\) .*/\1/p' "$T/fault.log" | tail -1
}

fault_fired() { grep -q '^fired' "$T/fault.log"; }

# spread COUNT MAX: at most MAX call numbers from 1..COUNT, the first and last included
spread() {
    $PY -c 'import sys
c, m = int(sys.argv[1]), int(sys.argv[2])
print(" ".join(str(x) for x in sorted({1 + (c - 1) * i // max(m - 1, 1) for i in range(m)} if c > m else range(1, c + 1))))' "$1" "$2"
}

# errno_text ERRNO: how strerror says it
errno_text() {
    case $1 in
    ENOSPC) echo "No space left on device" ;;
    EDQUOT) echo "Disk quota exceeded" ;;
    *) echo "Input/output error" ;;
    esac
}

# expect_clear_error ERRNO WHAT: the last command ($T/err, status $got) failed the way a person
# can act on: exit 1 (not a crash or a signal), the cause named, no sanitizer report
expect_clear_error() {
    if grep -q -e 'Sanitizer' -e 'runtime error' "$T/err"; then
        cat "$T/err" >&2
        fail "$2: sanitizer report"
    fi
    [ "$got" -eq 1 ] || { cat "$T/err" >&2; fail "$2: exited $got, wanted 1 (a clear error)"; }
    grep -q -e "$(errno_text "$1")" "$T/err" ||
        { cat "$T/err" >&2; fail "$2: the error does not name the cause ($(errno_text "$1"))"; }
}

# run_status CMD...: run CMD, keep its status in $got and its output in $T/out, $T/err
run_status() {
    set +e
    "$@" > "$T/out" 2> "$T/err"
    got=$?
    set -e
}

# ---- MLLP (with tests/daemon_lib.sh) ----------------------------------------------------------
# send FILES...: in one connection, as a sender does; $T/acks gets "FILE CODE" per message
# (AA, AE... or none), $T/msa every MSA segment
send() { # (needs PORT)
    cat "$@" > "$T/batch.hl7"
    mllp_send -p "$PORT" -f "$T/batch.hl7" 127.0.0.1 2> /dev/null | tr '\r' '\n' |
        grep '^MSA' > "$T/msa1" || true
    cat "$T/msa1" >> "$T/msa"
    for f in "$@"; do
        id=$(sed -n 's/^MSH|\([^|]*|\)\{8\}\([^|]*\)|.*/\2/p' "$f" | head -1)
        code=$(grep -E "^MSA\|[A-Z]*\|$id(\||$)" "$T/msa1" | cut -d"|" -f2)
        echo "$f ${code:-none}" >> "$T/acks"
    done
}

# on_disk FILE: the message (made by daemon_lib.sh's hl7) is stored byte for byte (without
# its last CR and the MLLP end) in the folder given to stored_hashes DIR first
stored_hashes() { find "$1" -type f ! -name '.*' -exec sha256sum {} + | cut -c1-64 > "$T/stored"; }
on_disk() { grep -qx "$(head -c -3 "$1" | sha256sum | cut -c1-64)" "$T/stored"; }
