# daemon_pii: no patient identifier leaves the box through a log line, a mail or a webhook.
# `chartvault run` with MLLP (a message accepted, one refused), the watched tree (a file that is
# not HL7 at a patient's path), snapshots, drills (one failing: a tampered pack), a freeze (files
# encrypted in place) and alerts to the local SMTP sink and webhook receiver; then every daemon
# log line, every mail and every webhook body is searched for every patient ID, name, kana and
# phone number of the synth manifest: zero hits.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
[ -x /usr/bin/mllp_send ] || { echo "mllp_send (python3-hl7) missing"; exit 77; }
command -v openssl >/dev/null || { echo "openssl missing"; exit 77; }

cv synth --out "$T/src" --patients 15 --years 1 --seed 11 --no-sync --manifest "$T/manifest.json" \
    > "$T/synth.out" 2>&1 || { cat "$T/synth.out" >&2; fail "synth failed"; }
new_repo "$T/repo"
start_sinks
PORT=$(free_port)
write_config "$T/c.conf" <<CONF
[source]
path = $T/src
facility = 1234567890
[index]
db = $T/index.sqlite
[mllp]
listen = 127.0.0.1:$PORT
allow = 127.0.0.1/32
storage = $T/mllp
[repo local]
path = $T/repo
password_file = $T/pass
interval = 2s
[alerts]
syslog = no
smtp_url = smtp://127.0.0.1:$SMTP_PORT
mail_from = chartvault@example.jp
mail_to = it@example.jp
webhook = http://127.0.0.1:$HOOK_PORT/hook
[drill]
interval = 2s
sample = 200
[thresholds]
anomaly_files = 20
[daemon]
state_dir = $T/state
CONF
start_daemon "$T/c.conf"
wait_for 60 status_check "$T/c.conf" \
    's["repositories"][0]["newest_snapshot"] and (s["repositories"][0]["last_drill"] or {}).get("ok")' ||
    { tail -20 "$T/daemon.log" >&2; fail "no snapshot and passing drill"; }

# patients of the manifest whose identifiers travel through each path below
ids=$($PY -c 'import json,sys; print(" ".join(p["id"] for p in json.load(open(sys.argv[1]))["patients"][:3]))' "$T/manifest.json")
set -- $ids
p1=$1 p2=$2 p3=$3

# --- MLLP: one message accepted, one refused (both name a manifest patient) -------------------
hl7 "$T/ok.hl7" \
  'MSH|^~\&|HIS|FAC|CV|1234567890|20260101120000||ADT^A08^ADT_A01|PII0001|P|2.5|||||JPN|UNICODE UTF-8' \
  'EVN||20260101120000' \
  "PID|||$p1^^^^PI||試験^太郎^^^^^L^I~シケン^タロウ^^^^^L^P||19600101|M" \
  'PV1||O'
mllp_send -p "$PORT" -f "$T/ok.hl7" 127.0.0.1 > "$T/ack1"
assert_contains "$T/ack1" "MSA|AA|PII0001"
hl7 "$T/bad.hl7" \
  'MSH|^~\&|HIS|FAC|CV|1234567890|20260101120000||ADT^A99^ADT_A01|PII0002|P|2.5' \
  "PID|||$p2^^^^PI||"
mllp_send -p "$PORT" -f "$T/bad.hl7" 127.0.0.1 > "$T/ack2"
assert_contains "$T/ack2" "MSA|AR|PII0002"
wait_for 10 grep -q "mllp: stored .*<file [0-9a-f]*>" "$T/daemon.log" || fail "no redacted 'stored' line"
ref=$(grep -o "mllp: stored .*<file [0-9a-f]*>" "$T/daemon.log" | head -1 | sed 's/.*<file \([0-9a-f]*\)>/\1/')
wait_for 10 cv query --db "$T/index.sqlite" file "$ref" || fail "query file $ref resolves nothing"
cv query --db "$T/index.sqlite" file "$ref" > "$T/resolved"
grep -q "^000/.*/$p1/-/ADT-00/${p1}_-_ADT-00_" "$T/resolved" || { cat "$T/resolved" >&2; fail "query file $ref: wrong path"; }
expect_status 1 cv query --db "$T/index.sqlite" file 0000000000
pass "MLLP: one message accepted, one refused; the log's <file $ref> resolves to the stored path"

# --- the watched tree: a file at a patient's path that is not HL7 ----------------------------
adt=$(find "$T/src" -path "*/$p3/-/ADT-00/*_1" | head -1)
[ -n "$adt" ] || fail "patient $p3 has no ADT-00"
printf 'not an HL7 message\r' > "$(dirname "$adt")/${p3}_-_ADT-00_999999999999999_20260101120000000_-_1"
wait_for 20 sh -c "'$CHARTVAULT' query --db '$T/index.sqlite' rejected | grep -q ."
pass "a file that is not HL7 was refused by the indexer"

# --- a failing drill: tampered packs --------------------------------------------------------
for pack in $(find "$T/repo" -path '*packs*' -type f); do
    $PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x55; open(p,"wb").write(b)' "$pack"
done
wait_for 30 sink_has hook '"key":"drill:local"' || fail "no drill alert at the webhook receiver"
pass "a failing drill was alerted"

# --- a freeze: files encrypted in place -------------------------------------------------------
find "$T/src" -type f | sort | awk 'NR % 4 == 0' | head -60 > "$T/victims"
# shellcheck disable=SC2016
xargs -P 4 -I{} sh -c 'openssl enc -aes-256-cbc -pbkdf2 -iter 1 -pass pass:ransom -in "$1" -out "$1.enc" && mv "$1.enc" "$1"' _ {} < "$T/victims"
wait_for 30 sink_has hook '"key":"freeze"' || { tail -20 "$T/daemon.log" >&2; fail "no freeze alert"; }
wait_for 10 sink_has mail "freeze" || fail "no freeze mail"
pass "a freeze was alerted by mail and webhook"
sleep 2 # the scans and drills that follow the attack log their lines too
stop_daemon

# --- every log line, mail and webhook body against every identifier of the manifest -----------
ls "$T/sinks"/mail-* "$T/sinks"/hook-* > /dev/null 2>&1 || fail "the sinks received nothing"
$PY - "$T/manifest.json" "$T/daemon.log" "$T/sinks" "$p1" "$p2" <<'PY' || fail "patient identifiers left the box"
import glob, json, os, sys
manifest, log, sinks, *extra = sys.argv[1:]
needles = set(extra) | {"試験 太郎", "試験^太郎", "シケン"}
for p in json.load(open(manifest))["patients"]:
    needles.add(p["id"])
    for key in ("name", "kana"):
        n = p.get(key) or {}
        if n.get("family") and n.get("given"):
            needles |= {n["family"] + " " + n["given"], n["family"] + "^" + n["given"],
                        n["family"] + n["given"], n["family"] + "　" + n["given"]}
        if key == "kana" and n.get("family"):
            needles.add(n["family"])
    for ph in p.get("phones") or []:
        needles |= {ph, ph.replace("-", "")}
    for c in p.get("contacts") or []:
        for ph in c.get("phones") or []:
            needles |= {ph, ph.replace("-", "")}
        if c.get("name"):
            needles.add(c["name"])
needles = {n for n in needles if len(n) >= 3}
files = [log] + sorted(glob.glob(os.path.join(sinks, "mail-*")) + glob.glob(os.path.join(sinks, "hook-*")))
hits, lines = 0, 0
for f in files:
    for no, line in enumerate(open(f, encoding="utf-8", errors="replace"), 1):
        lines += 1
        for n in needles:
            if n in line:
                hits += 1
                print(f"{os.path.basename(f)}:{no}: holds {n!r}: {line.strip()[:160]}", file=sys.stderr)
print(f"{len(needles)} identifiers searched in {lines} lines of {len(files)} files: {hits} hits")
sys.exit(1 if hits else 0)
PY
pass "no patient ID, name, kana or phone in the daemon's log, mails or webhooks"
