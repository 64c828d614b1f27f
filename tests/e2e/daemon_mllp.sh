# daemon_mllp: `chartvault run` as an MLLP receiver, driven by Debian's independent client
# mllp_send (python3-hl7): a UTF-8 message gets AA and is searchable within 5 s; it is stored as
# standard SS-MIX2 in ISO-2022-JP; an update renames the earlier file _1 -> _2; a cancel turns
# files to _0; malformed messages get AE/AR and are kept aside; a client outside the allow-list
# is refused; `status --json` counts all of it.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
[ -x /usr/bin/mllp_send ] || { echo "mllp_send (python3-hl7) missing"; exit 77; }

PORT=$(free_port)
cp -r "$CV_CORPUS" "$T/src" # an EHR export beside the feed: both trees go into one index
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
[alerts]
syslog = no
[daemon]
state_dir = $T/state
CONF
start_daemon "$T/c.conf"
wait_for 10 mllp_up "$T/c.conf" || fail "the MLLP listener did not come up"

# --- a UTF-8 message: AA, stored as ISO-2022-JP, searchable within 5 s ----------------------
hl7 "$T/a08.hl7" \
  'MSH|^~\&|HIS|FAC|CV|1234567890|20260101120000||ADT^A08^ADT_A01|MSG0001|P|2.5|||||JPN|UNICODE UTF-8' \
  'EVN||20260101120000' \
  'PID|||1234567^^^^PI||山田^太郎^^^^^L^I~ヤマダ^タロウ^^^^^L^P||19600101|M' \
  'PV1||O'
t0=$(date +%s%N)
mllp_send -p "$PORT" -f "$T/a08.hl7" 127.0.0.1 > "$T/ack1"
assert_contains "$T/ack1" "MSA|AA|MSG0001"
found=""
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ]; do
    if cv query --db "$T/index.sqlite" search ヤマダ --json > "$T/search" 2>/dev/null &&
       grep -q 1234567 "$T/search"; then found=yes; break; fi
    sleep 0.1
done
[ -n "$found" ] || fail "the patient was not searchable within 5 s of the AA"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
dir="$T/mllp/123/456/1234567/-/ADT-00"
ls "$dir" > "$T/files"
[ "$(grep -c '_1$' "$T/files")" -eq 1 ] || fail "expected one current ADT-00 file"
f1=$(ls "$dir"/*_1)
case "$(basename "$f1")" in
1234567_-_ADT-00_999999999999999_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]_-_1) ;;
*) fail "file name $(basename "$f1") is not SS-MIX2" ;;
esac
grep -q "$(printf '\033$B')" "$f1" || fail "stored file is not ISO-2022-JP"
grep -q "ISO IR87" "$f1" || fail "MSH-18 was not rewritten to ~ISO IR87"
pass "UTF-8 ADT^A08 acknowledged AA, stored as ISO-2022-JP SS-MIX2, searchable after ${ms} ms"

# --- an update renames the earlier file _1 -> _2 ---------------------------------------------
hl7 "$T/a08b.hl7" \
  'MSH|^~\&|HIS|FAC|CV|1234567890|20260102120000||ADT^A08^ADT_A01|MSG0002|P|2.5|||||JPN|UNICODE UTF-8' \
  'EVN||20260102120000' \
  'PID|||1234567^^^^PI||山田^次郎^^^^^L^I~ヤマダ^ジロウ^^^^^L^P||19600101|M' \
  'PV1||O'
mllp_send -p "$PORT" -f "$T/a08b.hl7" 127.0.0.1 > "$T/ack2"
assert_contains "$T/ack2" "MSA|AA|MSG0002"
[ -f "${f1%_1}_2" ] || fail "the earlier file was not renamed _1 -> _2"
[ "$(ls "$dir" | grep -c '_1$')" -eq 1 ] || fail "expected exactly one current file after the update"
wait_for 5 search_has "$T/index.sqlite" ヤマダジロウ 1234567 || fail "the update is not in the index"
pass "update: earlier file renamed _1 -> _2, the index shows the new name"

# --- ISO-2022-JP in, stored byte for byte: kanji whose bytes look like delimiters -------------
# 日 is 0x46 0x7C ('|') and 本 is 0x4B 0x5C ('\') inside ESC $ B ... ESC ( B
$PY - "$T/jis.hl7" <<'PYEOF'
import sys
segs = ["MSH|^~\\&|HIS|FAC|CV|1234567890|20260101130000||ADT^A08^ADT_A01|MSG0009|P|2.5|||||JPN|~ISO IR87||ISO 2022-1994",
        "EVN||20260101130000",
        "PID|||7654321^^^^PI||日本^花子^^^^^L^I~ニホン^ハナコ^^^^^L^P||19700202|F",
        "PV1||O"]
open(sys.argv[1], "wb").write("\r".join(segs).encode("iso2022_jp") + b"\x1c\r")
PYEOF
mllp_send -p "$PORT" -f "$T/jis.hl7" 127.0.0.1 > "$T/ackj"
assert_contains "$T/ackj" "MSA|AA|MSG0009"
stored=$(ls "$T/mllp/765/432/7654321/-/ADT-00/"*_1)
head -c -2 "$T/jis.hl7" | cmp -s - "$stored" || fail "the ISO-2022-JP message was not stored byte for byte"
wait_for 5 search_has "$T/index.sqlite" ニホンハナコ 7654321 || fail "the ISO-2022-JP patient is not searchable"
cv query --db "$T/index.sqlite" patient 7654321 --json | grep -q '"family":"日本"' || fail "kanji name wrong"
pass "ISO-2022-JP message with delimiter-like kanji bytes: AA, stored byte for byte, searchable"

# --- an admission and its cancel: both end as _0 ---------------------------------------------
hl7 "$T/a01.hl7" \
  'MSH|^~\&|HIS|FAC|CV|1234567890|20260103090000||ADT^A01^ADT_A01|MSG0003|P|2.5|||||JPN|~ISO IR87' \
  'EVN|A01|20260103090000' \
  'PID|||1234567^^^^PI||' \
  'PV1||I|32^302^1^^^N|||||||||||||||||||||||||||||||||||||||||20260103090000'
mllp_send -p "$PORT" -f "$T/a01.hl7" 127.0.0.1 > "$T/ack3"
assert_contains "$T/ack3" "MSA|AA|MSG0003"
ls "$T/mllp/123/456/1234567/20260103/ADT-22/"*_1 >/dev/null || fail "admission not stored under its care date"
sed 's/ADT^A01^ADT_A01|MSG0003/ADT^A11^ADT_A09|MSG0004/; s/EVN|A01/EVN|A11/' "$T/a01.hl7" > "$T/a11.hl7"
mllp_send -p "$PORT" -f "$T/a11.hl7" 127.0.0.1 > "$T/ack4"
assert_contains "$T/ack4" "MSA|AA|MSG0004"
n0=$(ls "$T/mllp/123/456/1234567/20260103/ADT-22/" | grep -c '_0$')
[ "$n0" -eq 2 ] || fail "cancel: expected the admission and the cancel as _0, found $n0"
pass "cancel: the admission and the ADT^A11 itself stored as _0"

# --- refusals: AE/AR with a reason, kept aside -------------------------------------------------
hl7 "$T/nopid.hl7" \
  'MSH|^~\&|HIS|FAC|CV|1234567890|20260101120000||ADT^A08^ADT_A01|MSG0005|P|2.5' \
  'EVN||20260101120000'
mllp_send -p "$PORT" -f "$T/nopid.hl7" 127.0.0.1 > "$T/ack5"
assert_contains "$T/ack5" "MSA|AE|MSG0005|no PID segment"
assert_contains "$T/ack5" "ERR|||101^Required field missing^HL70357|E"
hl7 "$T/a99.hl7" \
  'MSH|^~\&|HIS|FAC|CV|1234567890|20260101120000||ADT^A99^ADT_A01|MSG0006|P|2.5' \
  'PID|||1234567^^^^PI||'
mllp_send -p "$PORT" -f "$T/a99.hl7" 127.0.0.1 > "$T/ack6"
assert_contains "$T/ack6" 'MSA|AR|MSG0006|message type ADT.S.A99 has no SS-MIX2 folder'
assert_contains "$T/ack6" "ERR|||200^Unsupported message type"
printf 'this is not HL7\034\r' > "$T/junk.hl7"
mllp_send -p "$PORT" -f "$T/junk.hl7" 127.0.0.1 > "$T/ack7"
assert_contains "$T/ack7" "MSA|AR||not an HL7 message"
[ "$(ls "$T/state/mllp-rejected/" | grep -c '\.hl7$')" -eq 3 ] || fail "refused messages not kept aside"
grep -q "reason no PID segment" "$T/state/mllp-rejected/"*.reason || fail "no reason kept"
pass "refusals: AE (no PID), AR (unknown event), AR (not HL7), each kept aside with its reason"

# --- storage that cannot be written: AE (the sender keeps the message), alerted, then AA again ----
IMMUTABLE="$T/mllp"
chattr -R +i "$T/mllp"
sed 's/MSG0002/MSG0010/' "$T/a08b.hl7" > "$T/a08d.hl7"
mllp_send -p "$PORT" -f "$T/a08d.hl7" 127.0.0.1 > "$T/ackd"
chattr -R -i "$T/mllp"
IMMUTABLE=""
assert_contains "$T/ackd" "MSA|AE|MSG0010|cannot store the message"
wait_for 5 grep -q "critical: mllp-store: received HL7 messages cannot be stored" "$T/daemon.log" ||
    fail "no alert for the storage failure"
mllp_send -p "$PORT" -f "$T/a08d.hl7" 127.0.0.1 > "$T/ackd2"
assert_contains "$T/ackd2" "MSA|AA|MSG0010"
wait_for 5 grep -q "mllp-store: received messages are stored again" "$T/daemon.log" ||
    fail "no resolved notice"
pass "unwritable storage: AE, alerted; the resend gets AA"

# --- a client outside the allow-list ------------------------------------------------------------
$PY - "$PORT" <<'PYEOF' || fail "a client from 127.0.0.2 was served"
import socket, sys
s = socket.socket(); s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
try:
    s.sendall(b"\x0bMSH|^~\\&|X\x1c\r")
    sys.exit(0 if s.recv(100) == b"" else 1)  # closed without an answer
except ConnectionResetError:
    sys.exit(0)
PYEOF
pass "a client from 127.0.0.2 (outside 127.0.0.1/32) was refused"

# --- a full rescan keeps both trees in the one index ----------------------------------------
kill -HUP "$DAEMON_PID"
wait_for 10 grep -q "full scan done" "$T/daemon.log"
sleep 1
search_has "$T/index.sqlite" ヤマダジロウ 1234567 || fail "the MLLP patient vanished after a rescan"
search_has "$T/index.sqlite" カンジャ 9999013 || fail "the source tree's patient is missing"
pass "after a full rescan the index holds both the EHR export and the MLLP storage"

# --- a second daemon: same port or same state folder is refused ------------------------------
expect_status 1 cv run --config "$T/c.conf"
assert_contains "$T/err" "another 'chartvault run' (pid $DAEMON_PID) uses the state folder"

# --- the listener dies (its socket destroyed): alerted, restarted, serving again -----------------
if ss -K -t state listening sport = :"$PORT" >/dev/null 2>&1 && wait_for 5 grep -q "mllp-down" "$T/daemon.log"; then
    wait_for 10 grep -q "mllp-down: the MLLP listener on .* is up again" "$T/daemon.log" ||
        fail "the listener was not restarted"
    sed 's/MSG0002/MSG0008/' "$T/a08b.hl7" > "$T/a08c.hl7"
    wait_for 10 sh -c "mllp_send -p $PORT -f $T/a08c.hl7 127.0.0.1 | grep -q 'MSA|AA|MSG0008'" ||
        fail "no AA after the restart"
    pass "listener killed: alerted (mllp-down), restarted, AA again"
    MSGS=11
else
    echo "skip: this kernel cannot destroy sockets (ss -K)"
    MSGS=10
fi

# --- status --json counts it all ------------------------------------------------------------------
# the heartbeat writes the counters every 5 s
wait_for 10 status_check "$T/c.conf" "s['mllp']['messages'] == $MSGS" || fail "counters not written"
cv status --config "$T/c.conf" --json > "$T/status.json"
$PY - "$T/status.json" "$MSGS" <<'PYEOF' || { cat "$T/status.json" >&2; fail "status --json counters"; }
import json, sys
s = json.load(open(sys.argv[1]))
m = s["mllp"]
assert m["up"] is True, m
n = int(sys.argv[2])
assert m["messages"] == n and m["accepted"] == n - 4 and m["errors"] == 2 and m["rejected"] == 2, m
assert m["refused"] >= 1, m
assert s["daemon"]["running"] is True
PYEOF
pass "status --json: $MSGS messages, $((MSGS - 4)) AA, 2 AE, 2 AR, refused client counted"
stop_daemon
