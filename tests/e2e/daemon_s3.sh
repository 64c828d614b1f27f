#!/bin/bash
# daemon_s3.sh: `chartvault run` with a local repository and an S3 copy (copy_of = local) on a
# throwaway Ceph cluster: the daemon replicates after each snapshot, drills the copy, reads its
# locks back, and `status --json` counts it as off-site and immutable only while that is true.
#
# It runs on three memstore OSDs: the copy follows the next snapshot, counts for nothing while
# radosgw is down and again once it is back, and one OSD of three is killed during a copy
# without losing anything.
#
# make check runs every test in both builds; this one runs in the release build only (exit 77,
# skipped, in the ASan build): the S3 code it drives (copy, locks, restore, check) runs under
# ASan in tests/e2e/vault_s3.sh, and the daemon's own part of it (when to copy, what status
# counts) in tests/unit/test_status.c and the other daemon tests, while a cluster of three
# OSDs and a daemon under ASan cost more than a minute of a shared two-core machine.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
. "$CV_SOURCE_DIR/tests/tools/s3_lib.sh"
if [ "${CV_SANITIZE:-0}" = 1 ]; then
    echo "skipped in the ASan build: runs in the release build (see the top of $0)"
    exit 77
fi
s3_scratch_tmpfs
started=$(date +%s)
at() { echo "($(($(date +%s) - started)) s)"; }
trap 'rc=$?; cleanup_daemon; s3_stop; s3_scratch_done $rc' EXIT
# a small hospital and the local repository, made while the cluster starts
(make_hospital "$T/src" 2 && new_repo "$T/repo") > "$T/prep.out" 2>&1 &
prep=$!
s3_start "$T/ceph" 3
wait $prep || { cat "$T/prep.out" >&2; fail "preparing the hospital failed"; }
echo "cluster up $(at)"
s3c mkbucket offsite --lock
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$T/creds"
chmod 600 "$T/creds"

write_config "$T/c.conf" <<CONF
[source]
path = $T/src
[index]
db = $T/index.sqlite
[repo local]
path = $T/repo
password_file = $T/pass
interval = 3s
[repo cloud]
type = s3
path = s3:$S3_ENDPOINT/offsite/hospital
copy_of = local
retention = 1h
credentials = $T/creds
[alerts]
syslog = no
[drill]
interval = 4s
sample = 50
check_interval = 0
[thresholds]
snapshot_max_age = 30s
[daemon]
state_dir = $T/state
CONF
# status_is CONFIG JQ: status --json (whatever its verdict) makes the jq expression true; jq, not
# a python start per poll
status_is() {
    cv status --config "$1" --json > "$T/.status.json" 2> /dev/null
    jq -e "$2" "$T/.status.json" > /dev/null
}
CLOUD='(.repositories[] | select(.name == "cloud"))'
start_daemon "$T/c.conf"
wait_for 90 status_is "$T/c.conf" \
    "$CLOUD | .newest_snapshot and .offsite and .immutable and (.last_drill.ok // false)" ||
    { tail -30 "$T/daemon.log" >&2; cat "$T/.status.json" >&2; fail "no drilled, locked S3 copy"; }
status_is "$T/c.conf" '.rule_3_2_1_1_0.offsite == 1 and .rule_3_2_1_1_0.offline_or_immutable == 1' ||
    { cat "$T/.status.json" >&2; fail "3-2-1-1-0 does not count the S3 copy"; }
s3c locked offsite hospital/ $(($(date +%s) + 3000)) || fail "the copy's objects are not locked"
pass "the daemon replicated to S3, drilled the copy, and status counts it off-site and immutable $(at)"

# --- it replicates after each snapshot ---------------------------------------------------------
newest() { cv snapshots --repo "$1" --password-file "$T/pass" --credentials "$T/creds" --json |
    jq -r 'sort_by(.time) | last | .id'; }
first=$(newest "s3:$S3_ENDPOINT/offsite/hospital")
f=$(find "$T/src" -type f | head -1)
cp "$f" "$f.new"
same_newest() { [ "$(newest "$T/repo")" != "$first" ] && [ "$(newest "$T/repo")" = "$(newest "s3:$S3_ENDPOINT/offsite/hospital")" ]; }
wait_for 60 same_newest || fail "the copy did not follow the next snapshot"
pass "a new snapshot reached the S3 copy $(at)"

# --- while radosgw is down, the copy counts for nothing -----------------------------------------
"$S3_TOOLS/ceph-cluster.sh" stop-rgw "$S3_DIR"
status_is "$T/c.conf" "($CLOUD | (.reachable or .offsite or .immutable) | not) and .rule_3_2_1_1_0.offsite == 0 and .rule_3_2_1_1_0.offline_or_immutable == 0" ||
    { cat "$T/.status.json" >&2; fail "status still counts an unreachable S3 copy"; }
"$S3_TOOLS/ceph-cluster.sh" start-rgw "$S3_DIR"
wait_for 60 status_is "$T/c.conf" "$CLOUD | .offsite and .immutable" ||
    { cat "$T/.status.json" >&2; fail "the copy does not count again once reachable"; }
pass "status counts the S3 copy only while it answers $(at)"
stop_daemon

# --- one OSD of three dies during a copy: nothing is lost -----------------------------------------
# 4 MB that does not compress, in 64 KiB packs: a copy of some 60 PUTs, a few in flight at once
export CHARTVAULT_PASSWORD=$(cat "$T/pass")
L="$T/big"
mkdir "$T/noise"
for i in 1 2 3 4; do head -c 1000000 /dev/urandom > "$T/noise/n$i"; done
cv init --repo "$L" --kdf fast --pack-size 64K > /dev/null
cv backup --repo "$L" --source "$T/noise" > /dev/null
C="s3:$S3_ENDPOINT/offsite/osd-test"
"$CHARTVAULT" copy --from "$L" --to "$C" --all --credentials "$T/creds" > "$T/copy.out" 2>&1 &
cpid=$!
for i in $(seq 1 200); do
    [ "$(s3c count offsite osd-test/packs/ 2> /dev/null || echo 0)" -ge 2 ] && break
    sleep 0.05
done
"$S3_TOOLS/ceph-cluster.sh" kill-osd "$S3_DIR" 2
wait $cpid || { cat "$T/copy.out" >&2; fail "the copy failed when one OSD of three died"; }
[ "$(s3c count offsite osd-test/packs/)" = "$(find "$L/packs" -type f | wc -l)" ] || fail "packs are missing after the OSD died"
expect_status 0 cv check --repo "$C" --credentials "$T/creds" --read-data
expect_status 0 cv restore --repo "$C" --credentials "$T/creds" latest --target "$T/back"
[ "$(tree_hash "$T/noise")" = "$(tree_hash "$T/back")" ] || fail "restore after the OSD loss differs"
pass "one OSD of three killed during a copy: the copy completed, check --read-data and restore are whole $(at)"
