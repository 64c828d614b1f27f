# daemon_config: `chartvault run -n` and the config rules as an operator meets them: the example
# shipped in packaging/ is valid; a file or password file readable by others is refused with the
# fix; a malformed file gives one line naming the file, the line and the key; usage errors.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"

echo "repo-password-0123456789" > "$T/pass"; chmod 600 "$T/pass"
mkdir -p "$T/src"
write_config "$T/c.conf" <<CONF
[source]
path = $T/src
[index]
db = $T/index.sqlite
[repo local]
path = $T/repo
password_file = $T/pass
CONF
expect_status 0 cv run -n --config "$T/c.conf"
assert_contains "$T/out" "configuration OK (1 repository)"
assert_contains "$T/out" "warning: \[repo local\] cannot open repository"
pass "run -n accepts a good file and warns about a missing repository"

chmod 640 "$T/c.conf"
expect_status 1 cv run -n --config "$T/c.conf"
assert_contains "$T/err" "is readable or writable by group or others (mode 640); run: chmod 600"
chmod 600 "$T/c.conf"
chmod 644 "$T/pass"
expect_status 1 cv run --config "$T/c.conf"
assert_contains "$T/err" "\[repo local\] password_file: '$T/pass' is readable or writable by group or others"
expect_status 1 cv status --config "$T/c.conf" --json
chmod 600 "$T/pass"
pass "a config or password file open to group/others is refused, with the chmod that fixes it"

printf '[source]\npath = %s\n[index]\ndb = %s/i.sqlite\n[repo local]\npath = /r\npassword_file = %s\ninterval = 15x\n' \
    "$T/src" "$T" "$T/pass" > "$T/bad.conf"
chmod 600 "$T/bad.conf"
expect_status 1 cv run -n --config "$T/bad.conf"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line for a malformed config"
assert_contains "$T/err" "^chartvault run: $T/bad.conf:8: \[repo local\] interval: '15x' is not a duration"
pass "a malformed config: one line naming file, line and key"

cp "$CV_SOURCE_DIR/packaging/chartvault.conf" "$T/example.conf"; chmod 600 "$T/example.conf"
cv run -n --config "$T/example.conf" > "$T/out" 2>&1 || true
assert_contains "$T/out" "password_file: cannot read '/etc/chartvault/repo.pass'"
pass "the packaged example parses up to its (absent) password file"

expect_status 2 cv run
assert_contains "$T/err" "--config FILE is required"
expect_status 2 cv status --config "$T/c.conf" extra
expect_status 2 cv resume
pass "usage errors exit 2"
