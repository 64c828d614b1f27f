# vault_damage: bad passphrases and keys, unreadable or forged repository files, and a flipped
# byte in every pack: each is refused with a reason that names it, `check --read-data` finds
# every damaged pack and the files it takes with it, and restore brings back everything else.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"

patients=80
small && patients=30
make_hospital "$S/src" $patients
new_repo "$T/repo" --pack-size 256K
expect_status 0 cv backup --repo "$T/repo" --source "$S/src"
files=$(find "$S/src" -type f | wc -l)

# ---- passphrases and keys
CHARTVAULT_PASSWORD=wrong expect_status 1 cv snapshots --repo "$T/repo"
assert_contains "$T/err" "wrong passphrase for '$T/repo'"
printf 'wrong\n' > "$T/pw"
chmod 600 "$T/pw"
expect_status 1 cv snapshots --repo "$T/repo" --password-file "$T/pw"
assert_contains "$T/err" "wrong passphrase"
printf '%s\n' "$CHARTVAULT_PASSWORD" > "$T/pw"
chmod 640 "$T/pw"
expect_status 1 cv snapshots --repo "$T/repo" --password-file "$T/pw"
assert_contains "$T/err" "readable or writable by group or others"
chmod 600 "$T/pw"
CHARTVAULT_PASSWORD= expect_status 0 cv snapshots --repo "$T/repo" --password-file "$T/pw"
key=$(ls "$T/repo/keys")
chmod 644 "$T/repo/keys/$key"
expect_status 1 cv snapshots --repo "$T/repo"
assert_contains "$T/err" "keys/$key' is readable or writable by group or others"
chmod 600 "$T/repo/keys/$key"
pass "wrong passphrase, loose password file and loose key file are refused"

expect_status 1 cv snapshots --repo "$T/nowhere"
assert_contains "$T/err" "nowhere"
expect_status 2 cv backup --repo "$T/repo"
assert_contains "$T/err" "--source"
expect_status 1 cv init --repo "$T/repo" --kdf fast
assert_contains "$T/err" "is not empty"

# ---- damaged small files, each on a copy of the repository
damage() { rm -rf "$S/bad"; cp -a "$T/repo" "$S/bad"; }
damage
head -c 20 "$T/repo/config" > "$S/bad/config"
expect_status 1 cv snapshots --repo "$S/bad"
assert_contains "$T/err" "config"
damage
sed -i 's/^pack-size .*/pack-size 65537/' "$S/bad/config"
expect_status 1 cv snapshots --repo "$S/bad"
assert_contains "$T/err" "config' has been altered"
damage
printf 'chartvault-key 1\nkdf argon2id13\nops 16\nmem 9999999999999\n' > "$S/bad/keys/$key"
expect_status 1 cv snapshots --repo "$S/bad"
assert_contains "$T/err" "keys/$key"
damage
snapfile=$(ls "$S/bad/snapshots")
head -c 100 /dev/urandom > "$S/bad/snapshots/$snapfile"
expect_status 0 cv snapshots --repo "$S/bad"
assert_contains "$T/err" "snapshot '$snapfile' skipped"
expect_status 1 cv check --repo "$S/bad"
assert_contains "$T/out" "damaged: snapshot $snapfile"
damage
ix=$(ls "$S/bad/index" | head -1)
printf 'garbage' > "$S/bad/index/$ix"
expect_status 1 cv check --repo "$S/bad"
assert_contains "$T/out" "damaged: index $ix"
assert_contains "$T/out" "not in any index\|in no index"
pass "truncated, altered and garbage config, key, snapshot and index files are named"

damage
touch "$S/bad/packs/00/$(printf '%064d' 0).tmp-1234" "$S/bad/index/leftover.tmp-1"
expect_status 0 cv check --repo "$S/bad" --json
[ "$(json_field "$T/out" temporary_files)" = 2 ] || fail "leftover temporaries not counted"
pass "leftover temporary files are ignored"

# ---- a flipped byte in each pack
npacks=0
covered=0
for pack in "$T"/repo/packs/*/*; do
    npacks=$((npacks + 1))
    damage
    bad="$S/bad/packs/$(basename "$(dirname "$pack")")/$(basename "$pack")"
    size=$(stat -c %s "$bad")
    off=$($PY -c "import random; print(random.randrange($size))")
    $PY -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])); b=f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0]^0x40]))" "$bad" "$off"
    expect_status 1 cv check --repo "$S/bad" --read-data
    assert_contains "$T/out" "damaged: pack $(basename "$pack")"
    grep '^affected: ' "$T/out" | sed 's/^affected: snapshot [0-9a-f]*: //' | sort > "$T/affected"
    set +e # without --read-data a damaged tree block shows, a damaged data block need not
    cv check --repo "$S/bad" > /dev/null 2>&1
    status=$?
    set -e
    [ "$status" -le 1 ] || fail "check without --read-data exited $status"
    rm -rf "$S/rbad"
    if [ ! -s "$T/affected" ]; then # only second copies of folder listings were hit
        expect_status 0 cv restore --repo "$S/bad" latest --target "$S/rbad"
        [ "$(tree_hash "$S/src")" = "$(tree_hash "$S/rbad")" ] || fail "restore differs"
        covered=$((covered + 1))
        continue
    fi
    set +e
    cv restore --repo "$S/bad" latest --target "$S/rbad" > "$T/rout" 2> "$T/rerr"
    status=$?
    set -e
    [ "$status" = 1 ] || { cat "$T/rerr"; fail "restore with a damaged pack exited $status"; }
    sed -n "s/^chartvault restore: not restored: '\(.*\)': .*/\1/p" "$T/rerr" | sort > "$T/failed"
    [ -s "$T/failed" ] || fail "restore named no failed files"
    restored=$(find "$S/rbad" -type f | wc -l)
    (cd "$S/rbad" && find . -type f -print0 | xargs -0 -r sha256sum) > "$T/rsums"
    (cd "$S/src" && sha256sum -c --quiet "$T/rsums") || fail "a restored file differs"
    # every file is restored or named; check named everything restore lost
    missing=$((files - restored))
    [ "$missing" -le "$(wc -l < "$T/failed")" ] || grep -q '/$' "$T/failed" ||
        fail "restore lost $missing files but named $(wc -l < "$T/failed")"
    [ -z "$(comm -23 "$T/failed" "$T/affected")" ] ||
        fail "restore lost files that check did not name: $(comm -23 "$T/failed" "$T/affected" | head -3)"
done
[ "$npacks" -ge 2 ] || fail "only $npacks packs: the test wants several"
pass "a flipped byte in each of $npacks packs: check --read-data names it and the files; restore gets the rest ($covered covered by second copies)"
