# cli_basics: the front door: --help, --version, unknown commands, and --help on every command.
. "$CV_SOURCE_DIR/tests/lib.sh"

expect_status 0 cv --help
assert_contains "$T/out" "usage: chartvault <command>"
expect_status 0 cv --version
assert_contains "$T/out" "chartvault "
expect_status 2 cv
expect_status 2 cv no-such-command
assert_contains "$T/err" "no command 'no-such-command'"
cv --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' > "$T/commands"
while read -r c; do
    expect_status 0 cv "$c" --help
    assert_contains "$T/out" "usage: chartvault $c"
    expect_status 0 cv help "$c"
done < "$T/commands"
pass "front door and --help of $(wc -l < "$T/commands") commands"
