# fault_mllp: the MLLP receiver of `chartvault run` with write, fsync, rename, open and mkdir
# failing under its storage folder (about every sixth call of each kind, EIO/EDQUOT, torn writes),
# driven by Debian's mllp_send (python3-hl7): a message is acknowledged AA only when
# it is on disk whole; one that met a fault gets AE naming the cause; the daemon keeps going and
# never crashes; after a restart without faults every AA'd message is there byte for byte, no
# temporary file is left, and the sender's resends of the others are stored.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
. "$CV_SOURCE_DIR/tests/fault/lib-fault.sh"
[ -x /usr/bin/mllp_send ] || { echo "mllp_send (python3-hl7) missing"; exit 77; }

PORT=$(free_port)
write_config "$T/c.conf" <<CONF
[source]
facility = 1234567890
[index]
db = $T/index.sqlite
[mllp]
listen = 127.0.0.1:$PORT
storage = $T/mllp
[alerts]
syslog = no
[daemon]
state_dir = $T/state
CONF
mkdir -p "$T/mllp" "$T/msgs"
FAULT_PREFIX="$T/mllp"

# messages ROUND COUNT: COUNT messages in $T/msgs/ROUND-I.hl7 (one each, ended for mllp_send)
# for four patients, so that later ones supersede earlier ones (_1 -> _2) and some make folders
messages() {
    for i in $(seq 1 "$2"); do
        p=$((2000000 + $1 * 10 + i % 4))
        hl7 "$T/msgs/$1-$i.hl7" \
            "MSH|^~\\&|HIS|FAC|CV|1234567890|2026010112$(printf %02d "$i")00||ADT^A08^ADT_A01|R$1M$i|P|2.5|||||JPN|~ISO IR87" \
            "EVN||2026010112$(printf %02d "$i")00" \
            "PID|||$p^^^^PI||TEST^ROUND$1^^^^^L^I||19600101|M" \
            'PV1||O'
    done
}

round=0 aa=0 ae=0
# two runs of the daemon: writes (torn), renames and new folders failing with EIO, then syncs
# and opens with EDQUOT (ENOSPC: tests/e2e/fault_full_disk.sh, a real full disk); each kind
# counts on its own, about every sixth call of it fails
for run in "write,rename,mkdir EIO torn 2,7,12,17,22" "fsync,open EDQUOT fail 3,10,17,24,31,38,45"; do
    read -r op e FAULT_MODE ns <<< "$run"
    round=$((round + 1))
    messages "$round" 12
    : > "$T/acks"
    fault_env "$op" "$ns" "$e"
    env "${FAULT_ENV[@]}" "$CHARTVAULT" run --config "$T/c.conf" -v >> "$T/daemon.log" 2>&1 &
    DAEMON_PID=$!
    wait_for 20 mllp_up "$T/c.conf" || fail "the MLLP listener did not come up"
    send "$T/msgs/$round-"*.hl7
    stop_daemon
    for kind in ${op//,/ }; do
        grep -q "^fired $kind " "$T/fault.log" || fail "$op: no $kind fault fired"
    done
    grep -q 'Sanitizer\|runtime error' "$T/daemon.log" && fail "$op: sanitizer report in the daemon log"
    bad=$(grep -v ' \(AA\|AE\)$' "$T/acks" || true)
    [ -z "$bad" ] || fail "$op: answers other than AA or AE: $bad"
    grep -q ' AE$' "$T/acks" || fail "$op: every message got AA although faults fired"
    grep -q ' AA$' "$T/acks" || fail "$op: no message got AA"
    grep -q "|cannot store the message: $(errno_text "$e")$" "$T/msa" ||
        fail "$op: the AE does not say why the message was not stored: $(tail -3 "$T/msa")"
    grep -q "cannot store a message: .*$(errno_text "$e")" "$T/daemon.log" ||
        fail "$op: the log does not say why a message was not stored"
    # a restart without faults: every AA'd message is there whole; the resends are stored
    start_daemon "$T/c.conf"
    wait_for 20 mllp_up "$T/c.conf" || fail "the MLLP listener did not come up after the faults"
    stored_hashes "$T/mllp"
    while read -r f code; do
        if [ "$code" = AA ]; then
            aa=$((aa + 1))
            on_disk "$f" || fail "$op: $(basename "$f") was acknowledged AA but is not on disk whole"
        else
            ae=$((ae + 1))
            echo "$f" >> "$T/resend"
        fi
    done < "$T/acks"
    : > "$T/acks"
    [ -s "$T/resend" ] && send $(cat "$T/resend")
    rm -f "$T/resend"
    bad=$(grep -v ' AA$' "$T/acks" || true)
    [ -z "$bad" ] || fail "$op: resends without faults not stored: $bad"
    stored_hashes "$T/mllp"
    for f in "$T/msgs/$round-"*.hl7; do on_disk "$f" || fail "$op: $(basename "$f") is not stored"; done
    stop_daemon
    tmp=$(find "$T/mllp" -name '.*' | head -3)
    [ -z "$tmp" ] || fail "$op: temporary files left: $tmp"
done
pass "MLLP storage with faults: $aa messages AA'd (each on disk whole after a restart), $ae AE'd with the cause and stored on resend"
