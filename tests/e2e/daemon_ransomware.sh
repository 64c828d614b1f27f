# daemon_ransomware: encrypting 20% of a synth tree in place with openssl freezes the daemon:
# a CRITICAL alert goes out, the index keeps the pre-attack data (`query` shows it), snapshots
# go on tagged suspect, `status --json` reports the freeze and the anomaly, and
# `chartvault resume` lifts it.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
command -v openssl >/dev/null || { echo "openssl missing"; exit 77; }

make_hospital "$T/src" 2
new_repo "$T/repo"
start_sinks
write_config "$T/c.conf" <<CONF
[source]
path = $T/src
[index]
db = $T/index.sqlite
[repo local]
path = $T/repo
password_file = $T/pass
interval = 2s
[alerts]
syslog = no
webhook = http://127.0.0.1:$HOOK_PORT/hook
[drill]
interval = 0
[daemon]
state_dir = $T/state
CONF
start_daemon "$T/c.conf"
wait_for 60 status_check "$T/c.conf" 's["repositories"][0]["newest_snapshot"]' ||
    fail "no first snapshot"

# the victim: a patient whose demographics file will be encrypted
adt=$(find "$T/src" -path '*/-/ADT-00/*_1' | sort | head -1)
victim=$(basename "$adt" | cut -d_ -f1)
cv query --db "$T/index.sqlite" patient "$victim" --json > "$T/before.json"
grep -q '"name":{"family"' "$T/before.json" || fail "the victim has no name before the attack"

# --- the attack: 20% of the files, in place ------------------------------------------------
find "$T/src" -type f | sort > "$T/all"
total=$(wc -l < "$T/all")
{ echo "$adt"; awk 'NR % 5 == 0' "$T/all"; } | sort -u > "$T/victims"
n=$(wc -l < "$T/victims")
# shellcheck disable=SC2016
xargs -P 4 -I{} sh -c 'openssl enc -aes-256-cbc -pbkdf2 -pass pass:ransom -in "$1" -out "$1.enc" && mv "$1.enc" "$1"' _ {} < "$T/victims"
wait_for 30 status_check "$T/c.conf" 's["freeze"]["frozen"]' ||
    { tail -20 "$T/daemon.log" >&2; fail "encrypting $n of $total files did not freeze the daemon"; }
pass "encrypting $n of $total files in place froze the daemon"

wait_for 10 sink_has hook '"key":"freeze"' || fail "no freeze alert at the webhook receiver"
sink_has hook '"severity":"critical"' || fail "the freeze alert is not critical"
status_check "$T/c.conf" 's["verdict"] == "CRIT" and s["anomalies"][0]["froze"] and s["anomalies"][0]["unparseable"] > 0 and s["anomalies"][0]["high_entropy"] > 0' ||
    { cat "$T/.status.json" >&2; fail "status --json does not report the anomaly"; }
pass "CRITICAL freeze alert sent; status --json reports the anomaly"

# --- the index keeps the pre-attack data -----------------------------------------------------
sleep 3 # let any scan the attack triggered run
cv query --db "$T/index.sqlite" patient "$victim" --json > "$T/after.json"
cmp -s "$T/before.json" "$T/after.json" || { diff "$T/before.json" "$T/after.json" >&2; fail "query changed after the attack"; }
pass "query still shows the pre-attack data of patient $victim"

# --- snapshots go on, tagged suspect ---------------------------------------------------------
wait_for 20 status_check "$T/c.conf" 's["repositories"][0]["newest_snapshot"]["suspect"]' ||
    fail "no snapshot tagged suspect while frozen"
cv snapshots --repo "$T/repo" --password-file "$T/pass" > "$T/snapshots" 2>&1 || true
grep -q suspect "$T/snapshots" || fail "the repository shows no 'suspect' tag"
pass "snapshots continue, tagged suspect"

# --- resume ----------------------------------------------------------------------------------
cv resume --config "$T/c.conf" --note "test: checked" > "$T/resume.out" || fail "resume failed"
assert_contains "$T/resume.out" "freeze lifted"
status_check "$T/c.conf" 'not s["freeze"]["frozen"]' || fail "still frozen after resume"
expect_status 1 cv resume --config "$T/c.conf"
assert_contains "$T/err" "nothing is frozen"
pass "resume lifted the freeze"
stop_daemon
