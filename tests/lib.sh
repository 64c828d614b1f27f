# lib.sh: shared helpers for end-to-end tests, sourced by tests/e2e/*.sh.
# Each test runs the real binary ($CHARTVAULT) on real files in its own scratch folder.
set -eu
: "${CHARTVAULT:?run through ctest (make check)}"
: "${CV_SOURCE_DIR:?}" "${CV_CORPUS:?}" "${CV_TEST_TMP:?}"
T="$CV_TEST_TMP/$(basename "$0" .sh)"
rm -rf "$T"
mkdir -p "$T"
# Debian's python3 (with python3-hl7), not whatever python3 comes first on PATH.
PY=/usr/bin/python3
cv() { "$CHARTVAULT" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
# expect_status CODE CMD...: run CMD, insist on its exit status, keep stdout/stderr in $T/out $T/err
expect_status() {
    want=$1; shift
    set +e
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || { cat "$T/err" >&2; fail "'$*' exited $got, wanted $want"; }
}
assert_contains() { grep -q -- "$2" "$1" || { cat "$1" >&2; fail "'$1' lacks '$2'"; }; }
assert_not_contains() { ! grep -q -- "$2" "$1" || { cat "$1" >&2; fail "'$1' has '$2'"; }; }
# tree_hash DIR: one hash over every file's relative path and content
tree_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64); }
