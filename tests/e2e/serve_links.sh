# serve_links: the viewer binary (chartvault-serve) links no repository code: no symbol of the
# store, backend, daemon, print or synth modules, no repository crypto from libsodium (the
# AEAD, the key derivation, raw Argon2 of the key file; account hashes, crypto_pwhash_str,
# are the viewer's own), and `chartvault serve` runs it (same process, the binary beside it).
. "$CV_SOURCE_DIR/tests/lib.sh"

B=$(dirname "$CHARTVAULT")
V="$B/chartvault-serve"
[ -x "$V" ] || fail "no $V beside $CHARTVAULT"
command -v nm >/dev/null || fail "nm (binutils) is needed"

nm --defined-only "$V" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u > "$T/viewer"
[ -s "$T/viewer" ] || fail "nm found no symbols in $V"
grep -qx cv_web_start "$T/viewer" || fail "nm shows no cv_web_start: is $V the viewer?"
for m in store backend daemon print synth; do
    lib="$B/libcv_$m.a"
    [ -f "$lib" ] || fail "no $lib"
    nm --defined-only "$lib" 2>/dev/null | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u > "$T/$m"
    [ -s "$T/$m" ] || fail "nm found no symbols in $lib"
    comm -12 "$T/viewer" "$T/$m" > "$T/both"
    [ ! -s "$T/both" ] || { head "$T/both" >&2; fail "chartvault-serve links module $m"; }
done
nm -D --undefined-only "$V" | awk '{print $2}' | sed 's/@.*//' > "$T/imports"
grep -E '^(crypto_aead_|crypto_secretbox|crypto_kdf_|crypto_pwhash$|crypto_box)' "$T/imports" \
    > "$T/crypto" && { cat "$T/crypto" >&2; fail "chartvault-serve imports repository crypto"; }
grep -q '^crypto_pwhash_str_verify$' "$T/imports" || fail "account check (crypto_pwhash_str_verify) not seen: nm -D broken?"
# nor the libraries only the repository, the daemon and the packs use
readelf -d "$V" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' > "$T/needed"
grep -q '^libmicrohttpd' "$T/needed" || fail "readelf shows no libmicrohttpd: is $V the viewer?"
grep -E '^lib(zstd|curl|inih|cairo|pango|zint)' "$T/needed" > "$T/extra" &&
    { cat "$T/extra" >&2; fail "chartvault-serve loads a library of the repository/daemon/packs"; }
pass "chartvault-serve: no store, backend, daemon, print or synth symbol, no repository crypto"

# `chartvault serve` becomes the viewer: its --version and its usage errors
expect_status 0 "$V" --version
assert_contains "$T/out" "chartvault-serve "
expect_status 2 cv serve --state "$T/s"
assert_contains "$T/err" "--db FILE or --repo LOCATION"
expect_status 2 "$V" --state "$T/s" --snapshot latest --db "$T/x.db"
assert_contains "$T/err" "--snapshot goes with --repo"
# a copy of chartvault alone, without the viewer beside it (and none installed): said plainly
if [ ! -x /usr/libexec/chartvault/chartvault-serve ]; then
    cp "$CHARTVAULT" "$T/chartvault"
    expect_status 1 "$T/chartvault" serve --db "$T/x.db" --state "$T/s"
    assert_contains "$T/err" "cannot find the viewer program chartvault-serve"
fi
pass "chartvault serve runs chartvault-serve found beside it, and says when it is missing"
