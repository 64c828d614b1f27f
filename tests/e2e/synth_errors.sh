# synth_errors: write errors stop the run with one line that names the problem and says the
# tree is incomplete, exit 1, and no manifest: a file size limit (EFBIG) while writing the
# tree, a full device for the manifest, and a full file system when we may mount a small
# tmpfs.
. "$CV_SOURCE_DIR/tests/lib.sh"
W="$T"
if [ -w /dev/shm ]; then W=$(mktemp -d /dev/shm/cv-synth-err.XXXXXX); trap 'rm -rf "$W"' EXIT; fi

# files may not grow past 1 KiB: the first large message fails with EFBIG
set +e
(trap '' XFSZ; ulimit -f 1; exec "$CHARTVAULT" synth --out "$W/big" --patients 20 --years 1 \
    --manifest "$W/big.json") > "$T/out" 2> "$T/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$T/err"; fail "file size limit: exit $rc, wanted 1"; }
assert_contains "$T/err" "is incomplete: cannot write '$W/big/"
assert_contains "$T/err" "File too large"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "not one line"
[ ! -s "$T/out" ] && [ ! -e "$W/big.json" ] || fail "reported as done"
ls "$W" | grep -q 'big.json\.' && fail "manifest side files left behind"
pass "file size limit"

# the manifest is replaced atomically, so it must never be a device or a folder
expect_status 1 cv synth --out "$W/dev" --patients 10 --years 1 --manifest /dev/null
assert_contains "$T/err" "manifest '/dev/null' exists and is not a regular file"
[ -c /dev/null ] || fail "/dev/null was replaced"
expect_status 1 cv synth --out "$W/dir" --patients 10 --years 1 --manifest "$W"
assert_contains "$T/err" "is not a regular file"
expect_status 1 cv synth --out "$W/nodir" --patients 10 --years 1 --manifest "$W/no/such/m.json"
assert_contains "$T/err" "cannot use manifest"
pass "manifest path refusals"

# a real full file system, for the tree and for the manifest, where we may mount one
mkdir -p "$T/small"
if mount -t tmpfs -o size=2m tmpfs "$T/small" 2>/dev/null; then
    trap 'umount "$T/small" 2>/dev/null || true; rm -rf "$W"' EXIT
    set +e
    "$CHARTVAULT" synth --out "$T/small/h" --patients 200 --years 2 > "$T/out" 2> "$T/err"
    rc=$?
    set -e
    [ "$rc" -eq 1 ] || fail "full disk: exit $rc"
    assert_contains "$T/err" "No space left on device"
    [ "$(wc -l < "$T/err")" -eq 1 ] && [ ! -s "$T/out" ] || fail "not one line, or reported"
    rm -rf "$T/small/h"
    dd if=/dev/zero of="$T/small/fill" bs=1k count=1900 2>/dev/null || true
    set +e
    "$CHARTVAULT" synth --out "$W/m" --patients 200 --years 1 --manifest "$T/small/m.json"         > "$T/out" 2> "$T/err"
    rc=$?
    set -e
    [ "$rc" -eq 1 ] || fail "full disk for the manifest: exit $rc"
    assert_contains "$T/err" "No space left on device"
    [ ! -e "$T/small/m.json" ] && [ "$(ls "$T/small")" = fill ] || fail "manifest leftovers"
    umount "$T/small"
    pass "full file system (tree, manifest)"
else
    echo "skip: cannot mount a tmpfs here"
fi
