# vault_big_index: a reference index whose list of chunks is larger than a snapshot object may
# be (1 MiB: a 2 GiB index in 64 KiB chunks; a 200,000-patient hospital's is about 4 GB). In
# format 2 the index's entry is a tree blob of its own, so the backup succeeds, the snapshot
# object stays small, dump-index gives the index back, prune keeps what it needs and check
# --read-data passes. Without a 4 GB file: the repository stores files in 4 KiB chunks, so a
# 136 MiB index (mostly zeros, one chunk stored once) has 34,800 chunks, a 1.1 MiB list. A
# repository of format 1 refuses it with a reason.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"

mkdir -p "$S/src/0000001/-"
echo "MSH|^~\\&|" > "$S/src/0000001/-/message"
R="$T/repo"
new_repo "$R" --chunk-size 4K --pack-size 64K
# the databases, the backup's private copy and the dump on tmpfs: on a busy disk writing
# 136 MiB three times is most of this test's time
export TMPDIR="$S"
D="$S/db"
mkdir -p "$D"

# big.db: a little random data and 136 MiB of zeros; small.db: another index
$PY - "$D/big.db" "$D/small.db" <<'EOF' || fail "cannot make the databases"
import os, sqlite3, sys
for path, zeros in ((sys.argv[1], 136 << 20), (sys.argv[2], 0)):
    db = sqlite3.connect(path)
    db.execute("pragma page_size = 65536")
    db.execute("create table t(k integer primary key, b blob)")
    db.execute("insert into t values (1, ?)", (os.urandom(300000),)) # in packs of their own
    if zeros:
        db.execute("insert into t values (2, zeroblob(?))", (zeros,))
    db.commit()
    db.close()
EOF
# digest DB: a hash of every row (the file's bytes may differ from a copy's: its header counts)
digest() {
    $PY -c 'import hashlib, sqlite3, sys
h = hashlib.sha256()
for k, b in sqlite3.connect(sys.argv[1]).execute("select k, b from t order by k"):
    h.update(str(k).encode() + bytes(b))
print(h.hexdigest())' "$1"
}
big=$(digest "$D/big.db")

expect_status 0 cv backup --repo "$R" --source "$S/src" --db "$D/small.db"
expect_status 0 cv backup --repo "$R" --source "$S/src" --db "$D/big.db" --json
snap=$(json_field "$T/out" snapshot)
largest=$(find "$R/snapshots" -type f -printf '%s\n' | sort -n | tail -1)
[ "$largest" -lt 65536 ] || fail "a snapshot object of $largest bytes: the index's chunk list is in it"
expect_status 0 cv snapshots --repo "$R" --json
$PY -c 'import json,sys; s=json.load(open(sys.argv[1]))[-1]; assert s["index"] == "big.db" and s["index_bytes"] == int(sys.argv[2]), s' \
    "$T/out" "$(stat -c %s "$D/big.db")" || fail "snapshots does not show the big index"
expect_status 0 cv dump-index --repo "$R" "${snap:0:8}" --out "$D/dumped.db"
[ "$(digest "$D/dumped.db")" = "$big" ] || fail "dump-index gave a different database"
pass "a 136 MiB index in 4 KiB chunks (a 1.1 MiB chunk list) is stored; the snapshot object has $largest bytes; dump-index gives it back"

# prune keeps the index's entry and chunks, and removes what only the forgotten snapshot held
expect_status 0 cv forget --repo "$R" --keep-last 1
expect_status 0 cv prune --repo "$R" --grace 0 --json
[ "$(json_field "$T/out" removed)" -gt 0 ] || fail "prune removed nothing (the small index's data)"
expect_status 0 cv check --repo "$R" --read-data
rm -f "$D/dumped.db"
expect_status 0 cv dump-index --repo "$R" latest --out "$D/dumped.db"
[ "$(digest "$D/dumped.db")" = "$big" ] || fail "after prune, dump-index gave a different database"
pass "forget and prune keep the big index: check --read-data passes, dump-index gives it back"

if ! small; then
    new_repo "$T/repo1" --chunk-size 4K --format 1
    expect_status 1 cv backup --repo "$T/repo1" --source "$S/src" --db "$D/big.db"
    assert_contains "$T/err" "too large for a repository of format 1"
    pass "a repository of format 1 refuses the index with a reason"
fi
