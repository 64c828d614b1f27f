# daemon_packs: the daemon's [print] refresh. Packs appear under DIR/current (a link to a
# complete packs-<time> folder) with the configured facility name, are made again every
# interval with only `keep` folders left; a refresh that fails is alerted (webhook), the last
# packs stay, and the alert clears when refreshing works again. No alert names a patient.
# When the daemon freezes (ransomware-like change), the packs are made again at once from the
# last good data, without waiting for the interval.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"

cv --help | grep -q '^  synth ' || { echo "no 'chartvault synth' in this build"; exit 77; }
make_hospital "$T/src" 300
start_sinks
P="$T/packs"
write_config "$T/c.conf" <<CONF
[source]
path = $T/src
facility = 1234567890
[index]
db = $T/index.sqlite
[alerts]
syslog = no
smtp_url = smtp://127.0.0.1:$SMTP_PORT
mail_from = chartvault@example.jp
mail_to = it@example.jp
webhook = http://127.0.0.1:$HOOK_PORT/hook
[print]
dir = $P
interval = 3s
valid_for = 2h
keep = 2
facility_name = テスト総合病院
[daemon]
state_dir = $T/state
CONF
expect_status 0 cv run -n --config "$T/c.conf"
start_daemon "$T/c.conf"
wait_for 150 test -f "$P/current/hospital.pdf" || fail "no packs after 150 s (log: $T/daemon.log)"
[ -L "$P/current" ] || fail "current is not a link"
first=$(readlink "$P/current")
case "$first" in packs-*) ;; *) fail "current points to '$first'" ;; esac
ls "$P/current" | grep -q '^ward-.*\.pdf$' || fail "no ward pack in $(ls "$P/current")"
pdftotext "$P/current/hospital.pdf" - | grep -q "テスト総合病院" || fail "facility_name not printed"
wait_for 30 sh -c "[ \"\$(readlink '$P/current')\" != '$first' ]" || fail "packs were not refreshed"
sleep 4
# between making a refresh whole and pruning, keep + 1 folders exist for a moment
n=$(ls -d "$P"/packs-* | wc -l)
[ "$n" -le 3 ] || fail "$n refreshes kept, wanted at most 2 (+1 while one is switched in)"
for d in "$P"/packs-*; do
    [ -f "$d/hospital.pdf" ] || fail "$d is not a whole refresh"
done
pass "packs refreshed every interval into current/, every packs-* folder whole"

# a refresh that cannot write: alerted, the last packs stay
mv "$P" "$T/packs.moved"
: > "$P"
wait_for 30 sink_has hook "downtime packs could not be refreshed" || fail "no alert for a failed refresh"
rm "$P"
mv "$T/packs.moved" "$P"
wait_for 30 sink_has hook "downtime packs are refreshed again" || fail "the alert did not clear"
[ -f "$P/current/hospital.pdf" ] || fail "no packs after the failure"
pass "a failed refresh is alerted and cleared again"

# no patient in any alert
$PY - "$T/src" "$T/sinks" <<'PYEOF'
import glob, os, sys
src, sinks = sys.argv[1:]
ids = {os.path.basename(p) for p in glob.glob(f"{src}/*/*/*") if os.path.isdir(p)}
text = "".join(open(f, errors="replace").read() for f in glob.glob(f"{sinks}/*-*"))
bad = [i for i in ids if i in text]
assert not bad, f"patient IDs in alerts: {bad[:3]}"
PYEOF
stop_daemon
n=$(ls -d "$P"/packs-* | wc -l)
[ "$n" -le 2 ] || fail "$n refreshes kept after the daemon stopped, wanted at most 2"
pass "no patient ID in any alert; $n refreshes kept"

# ---- a freeze refreshes at once (interval 1 h: only the freeze can explain a new refresh)
command -v openssl >/dev/null || { echo "openssl missing: freeze part skipped"; exit 0; }
make_hospital "$T/src2" 2
P2="$T/packs2"
write_config "$T/c2.conf" <<CONF
[source]
path = $T/src2
[index]
db = $T/index2.sqlite
[alerts]
syslog = no
[print]
dir = $P2
interval = 1h
[daemon]
state_dir = $T/state2
CONF
start_daemon "$T/c2.conf"
wait_for 150 test -f "$P2/current/hospital.pdf" || fail "no first packs (log: $T/daemon.log)"
before=$(readlink "$P2/current")
sleep 1 # a refresh in the same second would get the same name
find "$T/src2" -type f | awk 'NR % 5 == 0' > "$T/victims"
# shellcheck disable=SC2016
xargs -P 4 -I{} sh -c 'openssl enc -aes-256-cbc -pbkdf2 -pass pass:ransom -in "$1" -out "$1.enc" && mv "$1.enc" "$1"' _ {} < "$T/victims"
wait_for 30 status_check "$T/c2.conf" 's["freeze"]["frozen"]' || fail "the attack did not freeze the daemon"
wait_for 30 sh -c "[ \"\$(readlink '$P2/current')\" != '$before' ]" ||
    fail "no refresh after the freeze (interval 1 h)"
stop_daemon
pass "the freeze made the packs again at once"
