#!/bin/bash
# vault_s3_prune.sh: forget and prune on a real S3 server (a throwaway Ceph RGW started by this
# test), with a bucket policy that gives the daemon's key no delete at all and the operator's
# key the deletes, and 4-second locks so that objects expire while the test runs:
#  - the daemon's key cannot forget or delete anything, even with every lock run out;
#  - a dry run lists what would go (unneeded packs, a pack no index names) and what a lock
#    holds with its date, and changes nothing (every version read back with boto3);
#  - prune removes every version of the expired unneeded objects (no delete marker left),
#    keeps the locked ones, and the kept snapshots restore byte for byte, check --read-data;
#  - prune killed with -9, then a prune that finishes (the release build only: the ASan build
#    runs the same code in the part above).
. "$(dirname "$0")/../lib.sh"
. "$CV_SOURCE_DIR/tests/tools/s3_lib.sh"
s3_scratch_tmpfs
FULL=1
[ "${CV_SANITIZE:-0}" = 1 ] && FULL=0
cleanup() {
    local rc=$?
    s3_stop
    s3_scratch_done $rc
}
trap cleanup EXIT
started=$(date +%s)
phase() { echo "phase: $1 at $(($(date +%s) - started)) s"; }
sleep_until() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done; }
json() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); $1" "$T/out"; }

s3_start "$T/ceph" 1
phase "cluster up"
# the operator's user owns the bucket; the daemon's ("vault", made by the cluster script) may
# write, read, list and lengthen locks, and is denied every delete and the bucket's settings
radosgw-admin -c "$CEPH_CONF" user create --uid pruner --display-name pruner \
    --access-key CVPRUNERKEY --secret CVprunerSecret0123456789 > /dev/null
AS_PRUNER=(as CVPRUNERKEY CVprunerSecret0123456789)
B=vault-prune
POLICY='{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/vault"]},
  "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket",
             "s3:ListBucketVersions", "s3:GetObjectRetention", "s3:PutObjectRetention",
             "s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration"],
  "Resource": ["arn:aws:s3:::B", "arn:aws:s3:::B/*"]},
 {"Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam:::user/vault"]},
  "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
             "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning",
             "s3:PutBucketObjectLockConfiguration"],
  "Resource": ["arn:aws:s3:::B", "arn:aws:s3:::B/*"]},
 {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/pruner"]},
  "Action": ["s3:*"], "Resource": ["arn:aws:s3:::B", "arn:aws:s3:::B/*"]}]}'
POLICY=${POLICY//$'\n'/ } # one line: s3c's requests end at a newline
s3c "${AS_PRUNER[@]}" mkbucket $B --lock || fail "cannot make the bucket"
s3c "${AS_PRUNER[@]}" policy $B "${POLICY//:::B/:::$B}" || fail "RGW refused the bucket policy"
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY # the daemon's
export CHARTVAULT_PASSWORD="correct horse battery staple"
printf '[default]\naws_access_key_id = CVPRUNERKEY\naws_secret_access_key = CVprunerSecret0123456789\n' > "$T/pruner.cred"
chmod 600 "$T/pruner.cred"
OP=(--credentials "$T/pruner.cred")
R="s3:$S3_ENDPOINT/$B/h"
RET=4

# snapshots: a (kept), then a+x, a+y, a; full trees, so a snapshot names only what it holds
S="$T/src"
mkdir -p "$S/d"
echo "stays" > "$S/d/a"
backup_saved() {
    cv backup --repo "$R" --source "$S" --read-all --json > "$T/b.json" || { cat "$T/b.json"; fail "backup failed"; }
    id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$T/b.json")
    tree_hash "$S" > "$T/h.$id"
}
kept_restore() {
    for id in $(cv snapshots --repo "$R" --json | $PY -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))'); do
        rm -rf "$T/r"
        cv restore --repo "$R" "$id" --target "$T/r" > /dev/null 2> "$T/rerr" || { cat "$T/rerr"; fail "snapshot ${id:0:8} does not restore"; }
        [ "$(tree_hash "$T/r")" = "$(cat "$T/h.$id")" ] || fail "snapshot ${id:0:8} restores differently"
    done
}
packs() { s3c keys $B h/packs/ | sort; }
expect_status 0 cv init --repo "$R" --kdf fast --retention ${RET}s
backup_saved
packs > "$T/p0"
head -c 300000 /dev/urandom > "$S/d/x"
backup_saved
packs > "$T/p1"
rm "$S/d/x"
head -c 300000 /dev/urandom > "$S/d/y"
backup_saved
packs > "$T/p2"
rm "$S/d/y"
backup_saved
last=$(date +%s)
comm -13 "$T/p0" "$T/p1" > "$T/xpacks" # x's data and the trees of that snapshot
comm -13 "$T/p1" "$T/p2" > "$T/ypacks"
[ -s "$T/xpacks" ] && [ -s "$T/ypacks" ] || fail "no new packs for x or y"
# y's packs locked for an hour, as a lock extension leaves what a snapshot needed
while read -r k; do s3c extend $B "$k" 3600 || fail "cannot extend $k"; done < "$T/ypacks"
# a pack a killed backup left: no index names it
STRAY=h/packs/ab/ab$(printf '%062d' 0)
s3c put $B "$STRAY" "a killed backup's pack"
pass "4 snapshots on S3 (4 s locks), y's packs locked for an hour, a pack no index names"; phase done

# ---- the daemon's key removes nothing, even once the locks ran out ---------------------------
sleep_until $((last + RET + 1))
expect_status 1 cv forget --repo "$R" --keep-last 1
assert_contains "$T/err" "s3:DeleteObjectVersion"
[ "$(s3c delete-version $B "$(head -1 "$T/xpacks")")" = "refused AccessDenied" ] || fail "the daemon's key deleted an expired pack"
[ "$(cv snapshots --repo "$R" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 ] || fail "a snapshot went"
pass "with the daemon's key, forget and a DELETE of an expired version are refused by the bucket policy"; phase done

# ---- forget and a dry run with the operator's key --------------------------------------------
expect_status 0 cv forget --repo "$R" --keep-last 1 "${OP[@]}"
assert_contains "$T/out" "1 snapshots kept, 3 forgotten"
s3c versions $B h/ > "$T/before"
expect_status 0 cv prune --repo "$R" "${OP[@]}" --dry-run --unindexed-age 1s
cat "$T/out"
assert_contains "$T/out" "kept, locked until"
assert_contains "$T/out" "would remove unindexed pack ab000000"
expect_status 0 cv prune --repo "$R" "${OP[@]}" --dry-run --unindexed-age 1s --json
json '
import time
locked = [o for o in d["objects"] if o["locked"]]
assert d["unindexed_packs"] == 1 and d["removed"] == 0, d
assert len(locked) == d["locked"] >= 1 and all(o["locked_until"] > time.time() + 3000 for o in locked), d
assert len(d["objects"]) > len(locked), d' || fail "prune --dry-run --json"
s3c versions $B h/ > "$T/after"
cmp -s "$T/before" "$T/after" || { diff "$T/before" "$T/after"; fail "a dry run changed the bucket"; }
pass "dry run: what would go, what a lock holds (until when), and nothing changed"; phase done

# ---- prune with the operator's key --------------------------------------------------------------
expect_status 0 cv prune --repo "$R" "${OP[@]}" --grace 0 --unindexed-age 1s --json
json 'assert d["removed"] >= 2 and d["locked"] >= 1 and d["freed_bytes"] >= 300000, d' || fail "prune removed too little"
while read -r k; do
    [ -z "$(s3c versions $B "$k")" ] || fail "$k still has versions (or a delete marker)"
done < "$T/xpacks"
[ -z "$(s3c versions $B "$STRAY")" ] || fail "the unindexed pack is still there"
while read -r k; do
    s3c versions $B "$k" | grep -q " data$" || fail "locked $k was removed"
done < "$T/ypacks"
expect_status 0 cv check --repo "$R" --read-data
kept_restore
pass "prune: every version of the expired packs gone, no delete marker; locked ones kept; check --read-data and restore"; phase done

if [ $FULL = 1 ]; then
    # ---- kill -9 during a prune, then a prune that finishes ---------------------------------
    packs > "$T/p3"
    head -c 300000 /dev/urandom > "$S/d/z"
    backup_saved
    packs > "$T/p4"
    comm -13 "$T/p3" "$T/p4" > "$T/zpacks"
    rm "$S/d/z"
    backup_saved
    sleep_until $(($(date +%s) + RET + 1))
    expect_status 0 cv forget --repo "$R" --keep-last 1 "${OP[@]}"
    "$CHARTVAULT" prune --repo "$R" "${OP[@]}" --grace 0 > /dev/null 2>&1 &
    pid=$!
    sleep 0.$((RANDOM % 4 + 1))
    kill -9 $pid 2> /dev/null && killed=yes || killed="no (it had ended)"
    wait $pid 2> /dev/null || true
    echo "kill -9 landed while prune ran: $killed"
    expect_status 0 cv check --repo "$R" --read-data
    expect_status 0 cv prune --repo "$R" "${OP[@]}" --grace 0
    while read -r k; do
        [ -z "$(s3c versions $B "$k")" ] || fail "$k still has versions after the second prune"
    done < "$T/zpacks"
    expect_status 0 cv check --repo "$R" --read-data
    kept_restore
    pass "prune killed with -9 on S3: the repository checks; the next prune finishes"; phase done
fi
