# daemon_drill: full restore drills. The daemon runs one after its first snapshot of each
# repository (a local one and its copy) and records it; `chartvault drill --full` runs one now,
# restores every file of the newest snapshot, verifies it and records the wall time (the
# measured recovery time) against [drill] rto; a drill held up past the RTO says so (exit 3);
# a damaged repository fails it (exit 1) and status turns CRIT; not enough scratch space is
# refused before anything is restored.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"

make_hospital "$T/src" 4
files=$(find "$T/src" -type f | wc -l)
new_repo "$T/repo"
write_config "$T/c.conf" <<CONF
[source]
path = $T/src
[index]
db = $T/index.sqlite
[repo local]
path = $T/repo
password_file = $T/pass
interval = 1h
[repo copy]
path = $T/copy
copy_of = local
[alerts]
syslog = no
[drill]
interval = 1h
sample = 50
full_interval = 30d
rto = 1h
[daemon]
state_dir = $T/state
CONF
start_daemon "$T/c.conf"
wait_for 120 status_check "$T/c.conf" \
    'all((r["last_full_drill"] or {}).get("ok") for r in s["repositories"])' ||
    { tail -20 "$T/daemon.log" >&2; cat "$T/.status.json" >&2; fail "no full drill of both repositories"; }
status_check "$T/c.conf" "all(r['last_full_drill']['files'] == $files and r['last_full_drill']['within_rto'] and r['last_full_drill']['rto_seconds'] == 3600 for r in s['repositories'])" ||
    { cat "$T/.status.json" >&2; fail "the daemon's full drills did not restore every file ($files)"; }
stop_daemon
pass "the daemon ran a full drill of the repository and of its copy: $files files each"

# --- drill --full now: every file, a time, recorded ----------------------------------------
cv drill --full --config "$T/c.conf" --json > "$T/d.json" || { cat "$T/d.json" >&2; fail "drill --full failed"; }
$PY - "$T/d.json" "$files" <<'PYEOF' || fail "drill --full result wrong"
import json, sys
d = json.load(open(sys.argv[1])); files = int(sys.argv[2])
assert [r["repo"] for r in d] == ["local", "copy"], d
for r in d:
    assert r["kind"] == "full" and r["ok"] and r["ran"] and r["errors"] == 0, r
    assert r["files"] == files and r["bytes"] > 0 and r["seconds"] > 0, r
    assert r["within_rto"] and r["rto_seconds"] == 3600, r
PYEOF
secs=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["seconds"])' "$T/d.json")
cv status --config "$T/c.conf" > "$T/status.txt" || true
assert_contains "$T/status.txt" "last full drill: .*passed: $files files in"
[ -z "$(ls -A "$T/state" | grep '^drill-')" ] || fail "drill left its scratch folder behind"
pass "drill --full restored and verified $files files of each copy in $secs s, recorded in status"

cv drill --config "$T/c.conf" --repo copy > "$T/sample.txt" || fail "sample drill failed"
assert_contains "$T/sample.txt" "repo copy: sample drill passed"
expect_status 1 cv drill --full --config "$T/c.conf" --repo nowhere
pass "a sample drill of one repository; an unknown repository is refused"

# --- held up past the RTO: exit 3, status WARN ------------------------------------------------
sed -i 's/^rto = 1h/rto = 1s/' "$T/c.conf"
cv drill --full --config "$T/c.conf" --repo local > "$T/slow.txt" &
pid=$!
# stop it for 2 s once its restore has begun: a slow disk, as seen by the clock
i=0
while [ ! -d "$T/state/drill-$pid/full-source" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 20000 ]; do
    i=$((i + 1))
done
kill -STOP "$pid" 2>/dev/null && sleep 2 && kill -CONT "$pid"
rc=0; wait "$pid" || rc=$?
if grep -q "OVER THE RTO" "$T/slow.txt"; then
    [ $rc = 3 ] || fail "over the RTO but exit $rc"
    status_check "$T/c.conf" 's["verdict"] != "OK" and any("longer than the RTO" in p["text"] for p in s["problems"])' ||
        { cat "$T/.status.json" >&2; fail "status does not say the restore took longer than the RTO"; }
    pass "a full restore held up past a 1 s RTO: exit 3, status says so"
else
    # the drill finished before it could be held up: not a failure of the code under test
    cat "$T/slow.txt"
    echo "note: the drill finished before it was held up; the RTO case was not exercised"
fi
sed -i 's/^rto = 1s/rto = 1h/' "$T/c.conf"

# --- not enough scratch space: refused before restoring ---------------------------------------
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/small"
    mount -t tmpfs -o size=256k tmpfs "$T/small"
    sed "s|^state_dir = .*|state_dir = $T/small/state|" "$T/c.conf" > "$T/small.conf"
    chmod 600 "$T/small.conf"
    expect_status 1 cv drill --full --config "$T/small.conf" --repo local
    umount "$T/small"
    assert_contains "$T/out" "could not run: a full drill needs about"
    pass "too little scratch space: refused with the space it needs"
fi

# --- a damaged repository fails the drill ---------------------------------------------------
for pack in $(find "$T/repo" -path '*packs*' -type f); do
    $PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x55; open(p,"wb").write(b)' "$pack"
done
rc=0; cv drill --full --config "$T/c.conf" > "$T/bad.txt" 2>&1 || rc=$?
[ $rc = 1 ] || { cat "$T/bad.txt" >&2; fail "a damaged repository: exit $rc, not 1"; }
assert_contains "$T/bad.txt" "repo local: full drill FAILED"
assert_contains "$T/bad.txt" "repo copy: full drill passed"
status_check "$T/c.conf" 's["verdict"] == "CRIT" and any("last full restore drill failed" in p["text"] for p in s["problems"])' ||
    { cat "$T/.status.json" >&2; fail "status does not report the failed full drill"; }
pass "damaged packs: the full drill of that repository failed (exit 1), its copy passed, status CRIT"
