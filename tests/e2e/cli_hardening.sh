# cli_hardening: what the attack of issue 21 found outside the viewer: file names that drive
# the terminal (ls, diff print them escaped), a restore that wrote through a planted hard link
# and stopped at a planted symbolic link (now both are refused, named, and the rest restored),
# a world-writable repository that backup used and status called OK (now refused), and an
# index left readable by everyone under umask 022 (now 0640).
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"
export CHARTVAULT_PASSWORD="correct horse battery staple"
export XDG_CACHE_HOME="$T/cache"

# ---- the index is private to its owner and group, whatever the umask
(umask 022 && cv index --source "$CV_CORPUS" --db "$T/index.db" > /dev/null) || fail "index"
[ "$(stat -c %a "$T/index.db")" = 640 ] || fail "index made $(stat -c %a "$T/index.db") under umask 022"
chmod 666 "$T/index.db"
(umask 022 && cv index --source "$CV_CORPUS" --db "$T/index.db" > /dev/null) || fail "index again"
for f in "$T"/index.db*; do
    [ "$(stat -c %a "$f")" = 640 ] || fail "$(basename "$f") left $(stat -c %a "$f")"
done
pass "the index and its -wal/-shm are 0640 under umask 022, and a 0666 one is made 0640"

# ---- file names that would drive a terminal
mkdir -p "$T/src/a" "$T/src/b"
echo one > "$T/src/a/plain"
printf 'x' > "$T/src/a/$(printf 'red\033[31mtitle\033]0;pwned\007')"
printf 'y' > "$T/src/a/$(printf 'two\nlines')"
printf 'z' > "$T/src/a/$(printf 'gpj.\342\200\256exe')" # U+202E: shows as "exe.jpg"
echo two > "$T/src/b/file"
expect_status 0 cv init --repo "$T/repo" --kdf fast
expect_status 0 cv backup --repo "$T/repo" --source "$T/src"
echo more > "$T/src/a/$(printf 'new\033[2Jclear')"
expect_status 0 cv backup --repo "$T/repo" --source "$T/src"
expect_status 0 cv ls --repo "$T/repo" latest
! grep -q $'\033\|\007' "$T/out" || fail "ls printed raw control characters"
assert_contains "$T/out" 'red\\x1b\[31mtitle\\x1b\]0;pwned\\x07'
assert_contains "$T/out" 'two\\x0alines'
assert_contains "$T/out" 'gpj.\\u202eexe'
[ "$(grep -c . "$T/out")" = "$(cv ls --repo "$T/repo" latest --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')" ] ||
    fail "a name broke a line of ls"
snaps=$(cv snapshots --repo "$T/repo" --json | $PY -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')
expect_status 0 cv diff --repo "$T/repo" $snaps
! grep -q $'\033' "$T/out" || fail "diff printed raw control characters"
assert_contains "$T/out" '+ a/new\\x1b\[2Jclear'
pass "ls and diff show control characters and bidi overrides escaped, one line per name"

# ---- restore never writes through a link, and a planted link does not stop it
mkdir -p "$T/target/a" "$T/elsewhere"
echo "the hospital's own file" > "$T/elsewhere/victim"
ln "$T/elsewhere/victim" "$T/target/a/plain"              # a hard link where a file goes
ln -s "$T/elsewhere/decoy" "$T/target/a/$(printf 'two\nlines')" # a symlink where a file goes
ln -s "$T/elsewhere" "$T/target/b"                        # a symlink where a folder goes
expect_status 1 cv restore --repo "$T/repo" latest --target "$T/target" --force --json
[ "$(cat "$T/elsewhere/victim")" = "the hospital's own file" ] || fail "restore wrote through a hard link"
[ ! -e "$T/elsewhere/decoy" ] && [ ! -e "$T/elsewhere/file" ] || fail "restore wrote through a symlink"
assert_contains "$T/err" "a/plain': a file with other hard links is in the way"
assert_contains "$T/err" "a/two\\\\x0alines': a symbolic link is in the way"
assert_contains "$T/err" "'b': a symbolic link is in the way"
[ "$(json_field "$T/out" refused 2>/dev/null || $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["refused"])' "$T/out")" = 3 ] ||
    fail "refused count: $(cat "$T/out")"
[ "$(cat "$T/target/a/new"*)" = more ] || fail "the rest was not restored"
pass "restore --force refuses a hard link and symlinks (named), restores the rest, exit 1"

# ---- a repository others may write is refused, and status is not OK
chmod 777 "$T/repo"
chmod 666 "$T/repo/config"
expect_status 1 cv backup --repo "$T/repo" --source "$T/src"
assert_contains "$T/err" "may be written by group or others"
assert_contains "$T/err" "chmod -R go-w"
chmod 700 "$T/repo"
chmod 600 "$T/repo/config"
expect_status 0 cv backup --repo "$T/repo" --source "$T/src"
pass "backup refuses a world-writable repository and says how to fix it"

make_hospital "$T/hosp" 2
echo "test-password-0123456789" > "$T/pass"
chmod 600 "$T/pass"
cv init --repo "$T/drepo" --password-file "$T/pass" --kdf fast > /dev/null 2>&1 || fail "init"
write_config "$T/c.conf" <<CONF
[source]
path = $T/hosp
[index]
db = $T/dindex.sqlite
[repo local]
path = $T/drepo
password_file = $T/pass
interval = 2s
[alerts]
syslog = no
[drill]
interval = 2s
sample = 20
[daemon]
state_dir = $T/state
CONF
start_daemon "$T/c.conf"
wait_for 60 status_check "$T/c.conf" 's["verdict"] == "OK"' ||
    { cat "$T/.status.json" >&2; tail -20 "$T/daemon.log" >&2; fail "status never OK"; }
chmod 777 "$T/drepo"
chmod 666 "$T/drepo/config"
status_check "$T/c.conf" 's["verdict"] != "OK" and any("written by group or others" in p["text"] for p in s["problems"])' ||
    { cat "$T/.status.json" >&2; fail "status OK with a world-writable repository"; }
chmod 700 "$T/drepo"
chmod 600 "$T/drepo/config"
stop_daemon
pass "status is not OK while the repository is world-writable"
