# fault_full_disk: a real full disk (a small tmpfs) under a repository and under MLLP storage.
# A backup that fills it ends with exit 1 naming ENOSPC, the repository passes `check` and its
# earlier snapshot restores exactly; once there is room the next backup completes. MLLP messages
# that fill the disk get AE (never AA) for what was not stored; every AA'd message is on disk
# whole; once there is room the resends are stored. Needs root for mount: skipped (exit 77, not
# done) otherwise.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/vault/lib-vault.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
. "$CV_SOURCE_DIR/tests/fault/lib-fault.sh"
[ "$(id -u)" = 0 ] || { echo "not root: no small file system can be mounted (not done)"; exit 77; }
[ -x /usr/bin/mllp_send ] || { echo "mllp_send (python3-hl7) missing"; exit 77; }

M1="$T/disk1" M2="$T/disk2"
mkdir -p "$M1" "$M2"
cleanup() {
    cleanup_daemon
    umount "$M1" 2> /dev/null
    umount "$M2" 2> /dev/null
    rm -rf "$S"
}
trap cleanup EXIT
mount -t tmpfs -o size=2M,mode=0700 tmpfs "$M1" || { echo "cannot mount a tmpfs here"; exit 77; }
mount -t tmpfs -o size=1M,mode=0700 tmpfs "$M2" || { echo "cannot mount a tmpfs here"; exit 77; }

# ---- backup onto a disk that fills --------------------------------------------------------------
R="$M1/repo"
cv synth --out "$S/src" --patients 2 --years 1 --seed 3 --no-sync > /dev/null
head -c 400000 /dev/urandom > "$S/src/noise1.bin"
cv init --repo "$R" --kdf fast --pack-size 64K > /dev/null # (daemon_lib.sh has its own new_repo)
expect_status 0 cv backup --repo "$R" --source "$S/src" --json
snap0=$(json_field "$T/out" snapshot)
hash0=$(tree_hash_meta "$S/src")
head -c 3000000 /dev/urandom > "$S/src/noise2.bin" # more than the disk has left
expect_status 1 cv backup --repo "$R" --source "$S/src"
assert_contains "$T/err" "No space left on device"
grep -q 'Sanitizer\|runtime error' "$T/err" && fail "sanitizer report from the backup on a full disk"
expect_status 0 cv check --repo "$R" --read-data
expect_status 0 cv restore --repo "$R" "${snap0:0:8}" --target "$S/r0"
[ "$(tree_hash_meta "$S/r0")" = "$hash0" ] || fail "the earlier snapshot changed on the full disk"
pass "backup on a full disk: exit 1 naming ENOSPC, check --read-data clean, the earlier snapshot exact"

mount -o remount,size=16M "$M1"
expect_status 0 cv backup --repo "$R" --source "$S/src"
expect_status 0 cv check --repo "$R" --read-data
expect_status 0 cv restore --repo "$R" latest --target "$S/r1"
[ "$(tree_hash_meta "$S/r1")" = "$(tree_hash_meta "$S/src")" ] || fail "the backup after freeing space is not exact"
pass "with room again the next backup completes and restores exactly"

# ---- MLLP receive onto a disk that fills ----------------------------------------------------------
PORT=$(free_port)
write_config "$T/c.conf" <<CONF
[source]
facility = 1234567890
[index]
db = $T/index.sqlite
[mllp]
listen = 127.0.0.1:$PORT
storage = $M2/mllp
[alerts]
syslog = no
[daemon]
state_dir = $T/state
CONF
start_daemon "$T/c.conf"
wait_for 20 mllp_up "$T/c.conf" || fail "the MLLP listener did not come up"
# leave about 40 KB free, then send 12 messages of about 8 KB each
head -c 1048576 /dev/zero > "$M2/filler" 2> /dev/null || true
rm -f "$M2/filler"
head -c $((1048576 - 40960 - $(du -sk "$M2" | cut -f1) * 1024)) /dev/zero > "$M2/filler"
note=$(head -c 8000 /dev/zero | tr '\0' X)
mkdir -p "$T/msgs"
for i in $(seq 1 12); do
    hl7 "$T/msgs/m$i.hl7" \
        "MSH|^~\\&|HIS|FAC|CV|1234567890|20260101120000||ADT^A08^ADT_A01|FULL$i|P|2.5|||||JPN|~ISO IR87" \
        'EVN||20260101120000' \
        "PID|||$((3000000 + i))^^^^PI||TEST^FULL^^^^^L^I||19600101|M" \
        "PV1||O" "NTE|1||$note"
done
send "$T/msgs/m"{1..12}.hl7
naa=$(grep -c ' AA$' "$T/acks" || true)
nae=$(grep -c ' AE$' "$T/acks" || true)
[ "$naa" -ge 1 ] && [ "$nae" -ge 1 ] && [ $((naa + nae)) -eq 12 ] ||
    fail "wanted some AA then AE on the filling disk: $(cat "$T/acks")"
grep -q "|cannot store the message: No space left on device$" "$T/msa" ||
    fail "the AE does not name the full disk: $(tail -3 "$T/msa")"
grep -q "cannot store a message: .*No space left on device" "$T/daemon.log" ||
    fail "the log does not name the full disk"
stored_hashes "$M2/mllp"
while read -r f code; do
    [ "$code" = AA ] && { on_disk "$f" || fail "$(basename "$f") got AA but is not on disk whole"; }
done < "$T/acks"
pass "MLLP on a filling disk: $naa messages AA'd and on disk whole, $nae answered AE naming ENOSPC"

rm -f "$M2/filler"
grep ' AE$' "$T/acks" | cut -d' ' -f1 > "$T/resend"
: > "$T/acks"
send $(cat "$T/resend")
[ "$(grep -c ' AA$' "$T/acks")" -eq "$nae" ] || fail "resends with room again not stored: $(cat "$T/acks")"
stored_hashes "$M2/mllp"
for i in $(seq 1 12); do on_disk "$T/msgs/m$i.hl7" || fail "m$i is not stored after the resend"; done
stop_daemon
grep -q 'Sanitizer\|runtime error' "$T/daemon.log" && fail "sanitizer report in the daemon log"
[ -z "$(find "$M2/mllp" -name '.*' | head -1)" ] || fail "temporary files left on the disk"
pass "with room again the $nae resends are stored; all 12 messages on disk whole"
