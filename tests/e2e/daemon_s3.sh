#!/bin/bash
# daemon_s3.sh: `chartvault run` with a local repository and an S3 copy (copy_of = local) on a
# throwaway Ceph cluster of three memstore OSDs: the daemon replicates after each snapshot,
# drills the copy, reads its locks back, and `status --json` counts it as off-site and
# immutable only while that is true (not while radosgw is down). Then one OSD of three is
# killed during a copy, and nothing is lost.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
TOOLS="$CV_SOURCE_DIR/tests/tools"
CLUSTER="$T/ceph"
"$TOOLS/ceph-cluster.sh" start "$CLUSTER" 3 || exit $?
trap 'cleanup_daemon; "$TOOLS/ceph-cluster.sh" stop "$CLUSTER"' EXIT
set -a
. "$CLUSTER/env"
set +a
s3c() { $PY "$TOOLS/s3_client.py" "$@"; }
s3c mkbucket offsite --lock
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$T/creds"
chmod 600 "$T/creds"

make_hospital "$T/src" 2
new_repo "$T/repo"
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
# status_any CONFIG EXPR: like status_check, whatever the verdict (status exits 1 on WARN/CRIT)
status_any() {
    cv status --config "$1" --json > "$T/.status.json" 2> /dev/null
    $PY -c "import json,sys; s=json.load(open('$T/.status.json')); sys.exit(0 if ($2) else 1)"
}
cloud() { echo "[r for r in s[\"repositories\"] if r[\"name\"] == \"cloud\"][0]"; }
start_daemon "$T/c.conf"
wait_for 90 status_check "$T/c.conf" \
    "$(cloud)['newest_snapshot'] and $(cloud)['offsite'] and $(cloud)['immutable'] and ($(cloud)['last_drill'] or {}).get('ok')" ||
    { tail -30 "$T/daemon.log" >&2; cat "$T/.status.json" >&2; fail "no drilled, locked S3 copy"; }
status_check "$T/c.conf" 's["rule_3_2_1_1_0"]["offsite"] == 1 and s["rule_3_2_1_1_0"]["offline_or_immutable"] == 1' ||
    { cat "$T/.status.json" >&2; fail "3-2-1-1-0 does not count the S3 copy"; }
s3c locked offsite hospital/ $(($(date +%s) + 3000)) || fail "the copy's objects are not locked"
pass "the daemon replicated to S3, drilled the copy, and status counts it off-site and immutable"

# --- it replicates after each snapshot ---------------------------------------------------------
id_of() { cv snapshots --repo "$1" --password-file "$T/pass" --credentials "$T/creds" --json |
    $PY -c 'import json,sys; print(sorted(json.load(sys.stdin), key=lambda s: s["time"])[-1]["id"])'; }
first=$(id_of "s3:$S3_ENDPOINT/offsite/hospital")
f=$(find "$T/src" -type f | head -1)
cp "$f" "$f.new"
same_newest() { [ "$(id_of "$T/repo")" != "$first" ] && [ "$(id_of "$T/repo")" = "$(id_of "s3:$S3_ENDPOINT/offsite/hospital")" ]; }
wait_for 60 same_newest || fail "the copy did not follow the next snapshot"
pass "a new snapshot reached the S3 copy"

# --- while radosgw is down, the copy counts for nothing -----------------------------------------
"$TOOLS/ceph-cluster.sh" stop-rgw "$CLUSTER"
status_any "$T/c.conf" "not $(cloud)['reachable'] and not $(cloud)['offsite'] and not $(cloud)['immutable'] and s['rule_3_2_1_1_0']['offsite'] == 0 and s['rule_3_2_1_1_0']['offline_or_immutable'] == 0" ||
    { cat "$T/.status.json" >&2; fail "status still counts an unreachable S3 copy"; }
"$TOOLS/ceph-cluster.sh" start-rgw "$CLUSTER"
wait_for 60 status_check "$T/c.conf" "$(cloud)['offsite'] and $(cloud)['immutable']" ||
    { cat "$T/.status.json" >&2; fail "the copy does not count again once reachable"; }
pass "status counts the S3 copy only while it answers"
stop_daemon

# --- one OSD of three dies during a copy: nothing is lost -----------------------------------------
export CHARTVAULT_PASSWORD=$(cat "$T/pass")
L="$T/big"
cv init --repo "$L" --kdf fast --pack-size 64K > /dev/null
cv synth --out "$T/synth" --patients 40 --years 2 --seed 9 --no-sync > /dev/null
cv backup --repo "$L" --source "$T/synth" > /dev/null
C="s3:$S3_ENDPOINT/offsite/osd-test"
"$CHARTVAULT" copy --from "$L" --to "$C" --all --credentials "$T/creds" > "$T/copy.out" 2>&1 &
cpid=$!
for i in $(seq 1 100); do
    [ "$(s3c count offsite osd-test/packs/ 2> /dev/null || echo 0)" -ge 2 ] && break
    sleep 0.1
done
"$TOOLS/ceph-cluster.sh" kill-osd "$CLUSTER" 2
wait $cpid || { cat "$T/copy.out" >&2; fail "the copy failed when one OSD of three died"; }
expect_status 0 cv check --repo "$C" --credentials "$T/creds" --read-data
expect_status 0 cv restore --repo "$C" --credentials "$T/creds" latest --target "$T/back"
[ "$(tree_hash "$T/synth")" = "$(tree_hash "$T/back")" ] || fail "restore after the OSD loss differs"
pass "one OSD of three killed during a copy: the copy completed, check --read-data and restore are whole"
