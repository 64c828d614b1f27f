# report: `chartvault report` over a real installation with two copies (a daemon that took
# snapshots and passed drills, contacts, a viewer with an audit log): a section per checklist
# item with the right verdicts; one copy stale, a failed drill, empty contacts and a tampered
# audit log each turn their section to 要対応; the access counts match the log; the PDF's text
# holds every section title. Also [contacts] in `run -n` and on the first page of the packs
# the daemon makes and `print --config` makes.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"

make_hospital "$T/src" 6
new_repo "$T/repo-a"
new_repo "$T/repo-b"
contacts='[contacts]
it_oncall = 情報システム課 当番 | 090-1111-2222 | it-oncall@hospital.example.jp
ehr_vendor = 電子カルテ社 保守窓口 | 0120-000-111 | support@ehr.example.jp
network_vendor = 回線ネット社 | 03-1234-5678
prefecture = 静岡県 医療政策課 | 054-221-0000
police = 静岡県警 サイバー犯罪対策課 | #9110
mhlw = 厚生労働省 医療情報セキュリティ窓口 | 03-5253-1111 | incident@mhlw.example.jp
regional_network = ふじのくにネット事務局 | 054-000-0000'
base="[source]
path = $T/src
[index]
db = $T/index.sqlite
[repo a]
path = $T/repo-a
password_file = $T/pass
interval = 2s
[repo b]
path = $T/repo-b
password_file = $T/pass
interval = 2s
[alerts]
syslog = no
[drill]
interval = 2s
sample = 50
[print]
dir = $T/packs
interval = 1h
facility_name = 試験病院
[daemon]
state_dir = $T/state"
printf '%s\n%s\n' "$base" "$contacts" | write_config "$T/c.conf"
printf '%s\n' "$base" | write_config "$T/none.conf"

# --- [contacts] checked by run -n --------------------------------------------------------------
cv run -n --config "$T/c.conf" > "$T/n.out"
assert_not_contains "$T/n.out" "contacts"
cv run -n --config "$T/none.conf" > "$T/n.out"
assert_contains "$T/n.out" "warning: \[contacts\] is empty"
printf '%s\n[contacts]\nit_oncall = 当番 | 090-ABCD | it@example.jp\n' "$base" | write_config "$T/bad.conf"
expect_status 1 cv run -n --config "$T/bad.conf"
assert_contains "$T/err" "it_oncall: phone '090-ABCD' holds 'A'"
printf '%s\n[contacts]\nmhlw = 窓口 | 03-1111-2222 | not-a-mail\n' "$base" | write_config "$T/bad.conf"
expect_status 1 cv run -n --config "$T/bad.conf"
assert_contains "$T/err" "mhlw: 'not-a-mail' is not a mail address"
pass "[contacts]: checked by run -n (a bad phone or mail is an error, none is a warning)"

# --- a demo installation: two copies with snapshots and passing sample and full drills ------------
start_daemon "$T/c.conf"
wait_for 120 status_check "$T/c.conf" \
    'all(r["newest_snapshot"] and (r["last_drill"] or {}).get("ok") and (r["last_full_drill"] or {}).get("ok") for r in s["repositories"])' ||
    { tail -20 "$T/daemon.log" >&2; fail "no snapshot and passing sample and full drills in both copies"; }
wait_for 60 test -e "$T/packs/current/hospital.pdf" || fail "the daemon made no packs"
stop_daemon
pdftotext -l 1 "$T/packs/current/$(ls "$T/packs/current" | grep '^ward-' | head -1)" "$T/pack.txt"
assert_contains "$T/pack.txt" "情報システム課 当番"
assert_contains "$T/pack.txt" "090-1111-2222"
cv print --db "$T/index.sqlite" --out "$T/printed" --config "$T/c.conf" > /dev/null
pdftotext -l 1 "$T/printed/hospital.pdf" "$T/printed.txt"
assert_contains "$T/printed.txt" "厚生労働省 医療情報セキュリティ窓口"
assert_contains "$T/printed.txt" "試験病院"
pass "contacts on the first page of the daemon's packs and of print --config"

# a viewer with accounts and an audit log (records dated today)
V="$T/viewer"
echo "nurse-password-0123456789" > "$T/np"; chmod 600 "$T/np"
cv user add nurse --role viewer --state "$V" --password-file "$T/np" > /dev/null
echo "admin-password-0123456789" > "$T/ap"; chmod 600 "$T/ap"
cv user add boss --role admin --state "$V" --password-file "$T/ap" > /dev/null
$PY "$CV_SOURCE_DIR/tests/tools/audit_append.py" "$V" \
    login:ok:nurse::09:00 view:ok:nurse:P001:09:05 view:ok:nurse:P002:09:06 \
    print:ok:nurse:P002:09:07 search:ok:nurse::09:08 login:fail:nurse::12:00 \
    login:fail:mallory::12:01 login:locked-now:mallory::12:02 login:locked:mallory::12:03 \
    login:ok:boss::23:30 view:ok:boss:P003:23:31 view:not-found:boss:P9:23:32 \
    view:ok:nurse:P001:02:15

report() { # report CONF ARGS...: the JSON report in $T/r.json
    conf=$1; shift
    cv report --config "$conf" --viewer-state "$V" --json "$@" > "$T/r.json" ||
        fail "report failed"
}
verdict() { # verdict SECTION WANT
    $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); s={x["key"]: x for x in r["sections"]}[sys.argv[2]]
if s["verdict"] != sys.argv[3]: print(json.dumps(s, ensure_ascii=False, indent=1)); sys.exit(1)' \
        "$T/r.json" "$1" "$2" || fail "section $1 is not '$2'"
}
reason_has() { # reason_has SECTION TEXT
    $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); s={x["key"]: x for x in r["sections"]}[sys.argv[2]]
sys.exit(0 if any(sys.argv[3] in t for t in s["reasons"]) else 1)' "$T/r.json" "$1" "$2" ||
        { cat "$T/r.json" >&2; fail "section $1 gives no reason with '$2'"; }
}

report "$T/c.conf"
$PY -c 'import json,sys; r=json.load(open(sys.argv[1]))
keys=[s["key"] for s in r["sections"]]
assert keys == ["backups","drills","procedure","contacts","access","inventory","not_covered"], keys' "$T/r.json" ||
    fail "not one section per checklist item"
for s in backups drills procedure contacts access inventory; do verdict $s met; done
verdict not_covered n/a
pass "two fresh copies, passing drills, contacts, an intact audit log: every section 満たしている, not-covered 対象外"

# --- the access counts match the log -------------------------------------------------------------
$PY - "$V/audit.log" "$T/r.json" <<'PYEOF' || fail "the access figures do not match the audit log"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
fig = {x["key"]: x for x in json.load(open(sys.argv[2]))["sections"]}["access"]["figures"]
want = {
    "records": len(recs),
    "logins": sum(r["event"] == "login" and r["result"] == "ok" for r in recs),
    "failed_logins": sum(r["event"] == "login" and r["result"] in ("fail", "totp-fail", "locked-now") for r in recs),
    "lockouts": sum(r["event"] == "login" and r["result"] == "locked-now" for r in recs),
    "views": sum(r["event"] in ("view", "print") and r["result"] == "ok" and r["patient"] is not None for r in recs),
    "night_views": sum(r["event"] in ("view", "print") and r["result"] == "ok" and r["patient"] is not None
                       and (int(r["time"][11:13]) >= 22 or int(r["time"][11:13]) < 6) for r in recs),
    "views.nurse": sum(r["event"] in ("view", "print") and r["result"] == "ok" and r["user"] == "nurse" for r in recs),
    "logins.boss": 1,
}
bad = {k: (v, fig.get(k)) for k, v in want.items() if fig.get(k) != v}
print("access figures:", {k: fig.get(k) for k in want})
sys.exit(1 if bad else 0)
PYEOF
pass "the access section's counts match the audit log"

# --- the PDF and the HTML hold every section title ----------------------------------------------
cv report --config "$T/c.conf" --viewer-state "$V" --out "$T/report.pdf" > "$T/out.txt"
assert_contains "$T/out.txt" "report written to $T/report.pdf"
pdftotext "$T/report.pdf" "$T/report.txt"
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); t=open(sys.argv[2], encoding="utf-8").read()
missing=[s["title"] for s in r["sections"] if s["title"] not in t] + [w for w in ("満たしている","対象外") if w not in t]
sys.exit(1 if missing else 0)' "$T/r.json" "$T/report.txt" || fail "the PDF lacks a section title"
assert_contains "$T/report.txt" "chartvault restore --repo $T/repo-a"
cv report --config "$T/c.conf" --viewer-state "$V" --out "$T/report.html" --lang en > /dev/null
assert_contains "$T/report.html" "Restore drills"
assert_contains "$T/report.html" "Not covered by this system"
assert_not_contains "$T/report.html" "P001"
assert_not_contains "$T/report.txt" "P001"
pass "the PDF (pdftotext) and the HTML hold every section title, and no patient ID"

# --- one copy stale: backups 要対応 ---------------------------------------------------------------
cp "$T/state/state.sqlite" "$T/state.keep"
$PY -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE repo SET snap_time = snap_time - 7200 WHERE name = ?", ("b",)); c.commit()' "$T/state/state.sqlite"
report "$T/c.conf"
verdict backups action
reason_has backups "b: "
verdict contacts met
cp "$T/state.keep" "$T/state/state.sqlite"
rm -f "$T/state/state.sqlite-wal" "$T/state/state.sqlite-shm"
pass "one copy's newest snapshot two hours old: backups 要対応 naming it"

# --- contacts empty: 要対応 ------------------------------------------------------------------------
report "$T/none.conf"
verdict contacts action
verdict backups met
pass "no [contacts]: contacts 要対応"

# --- one copy alone: backups 要対応 ------------------------------------------------------------------
printf '%s\n%s\n' "$(printf '%s\n' "$base" | sed '/^\[repo b\]/,/^interval/d')" "$contacts" | write_config "$T/one.conf"
report "$T/one.conf"
verdict backups action
reason_has backups "1つだけ"
pass "a single copy: backups 要対応"

# --- unusual use: one account viewing many patients in a day ---------------------------------------
many=""
for i in $(seq 1 $((50 + 2))); do many="$many view:ok:boss:M$i:14:$(printf %02d $((i % 60)))"; done
# shellcheck disable=SC2086
$PY "$CV_SOURCE_DIR/tests/tools/audit_append.py" "$V" $many
report "$T/c.conf"
verdict access action
reason_has access "boss"
pass "an account viewing 52 patients in one day: access 要対応 naming it"

# --- a tampered audit log -------------------------------------------------------------------------
line=$(grep -n '"P002"' "$V/audit.log" | head -1 | cut -d: -f1)
sed -i "${line}s/\"P002\"/\"P004\"/" "$V/audit.log"
report "$T/c.conf"
verdict access action
reason_has access "${line}行目: its content does not match its hash"
pass "an edited audit record: access 要対応 (tampered, line $line)"

# --- a failed drill: drills 要対応 -------------------------------------------------------------------
for pack in $(find "$T/repo-b" -path '*packs*' -type f); do
    $PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x55; open(p,"wb").write(b)' "$pack"
done
start_daemon "$T/c.conf"
wait_for 120 status_check "$T/c.conf" \
    '[r for r in s["repositories"] if r["name"] == "b"][0]["last_drill"]["ok"] is False' ||
    { tail -20 "$T/daemon.log" >&2; fail "the drill of the damaged copy did not fail"; }
stop_daemon
report "$T/c.conf" --lang en
verdict drills action
reason_has drills "b: the latest drill failed"
pass "a damaged copy's drill failed: drills 要対応"

# --- full drills off, or slower than the RTO: drills 要対応 ----------------------------------------
printf '%s\n%s\n' "$(printf '%s\n' "$base" | sed 's/^sample = 50$/sample = 50\nfull_interval = 0/')" "$contacts" | write_config "$T/nofull.conf"
report "$T/nofull.conf"
verdict drills action
reason_has drills "full_interval = 0"
pass "full drills off: drills 要対応"

# --- damaged inputs are findings, not crashes ------------------------------------------------------
head -c 300 /dev/urandom > "$V/audit.log"
report "$T/c.conf"
verdict access action
rm -rf "$T/state"
report "$T/c.conf"
verdict backups action
verdict drills action
expect_status 2 cv report --config "$T/c.conf" --out "$T/x.txt"
cv report --help | grep -q -- "--viewer-state"
pass "a garbage audit log and a missing state: 要対応 with reasons, no crash"
