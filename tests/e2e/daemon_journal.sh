# daemon_journal: between full walks the daemon's snapshots read only what its change journal
# (inotify) names: a new file, a rewritten one, a removed one, a _1 -> _2 rename and a new
# folder each reach the next snapshot, which restores to the tree as it is; the whole tree is
# walked again on schedule (full_walk). Changes made while the daemon was stopped, which no
# journal saw, reach the first snapshot after the restart: it walks the whole tree.
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/daemon_lib.sh"

make_hospital "$T/src" 3
new_repo "$T/repo"
write_config "$T/c.conf" <<CONF
[source]
path = $T/src
[index]
db = $T/index.sqlite
[repo local]
path = $T/repo
password_file = $T/pass
interval = 1s
[drill]
interval = 0
check_interval = 0
[daemon]
state_dir = $T/state
full_walk = 8s
CONF

nsnap() { cv snapshots --repo "$T/repo" --password-file "$T/pass" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
more_snapshots() { [ "$(nsnap)" -ge "$1" ]; }
# restored_is_tree: the latest snapshot restores to exactly the source tree
restored_is_tree() {
    rm -rf "$T/r"
    cv restore --repo "$T/repo" --password-file "$T/pass" latest --target "$T/r" > /dev/null 2>&1 &&
        [ "$(tree_hash "$T/r")" = "$(tree_hash "$T/src")" ]
}
journal_lines() { grep -c 'snapshot .* (changes from the journal)' "$T/daemon.log" || true; }
walk_lines() { grep -c 'snapshot .* (trees walked)' "$T/daemon.log" || true; }
journal_at_least() { [ "$(journal_lines)" -ge "$1" ]; }
walks_more_than() { [ "$(walk_lines)" -gt "$1" ]; }

start_daemon "$T/c.conf"
wait_for 60 more_snapshots 1 || { tail -20 "$T/daemon.log" >&2; fail "no first snapshot"; }
[ "$(walk_lines)" -ge 1 ] || fail "the first snapshot did not walk the tree"
wait_for 20 journal_at_least 1 || fail "no snapshot from the journal"
pass "the first snapshot walked the tree, the next ones read the journal"

# every kind of change, while the daemon watches
f=$(find "$T/src" -type f -name '*_1' | sort | head -1)
g=$(find "$T/src" -type f -name '*_1' | sort | sed -n 2p)
h=$(find "$T/src" -type f -name '*_1' | sort | sed -n 3p)
printf 'NTE|1|appended\r' >> "$f"
rm "$g"
mv "$h" "${h%_1}_2"
mkdir -p "$T/src/999/999/9999999999/-/ADT-00"
cp "$f" "$T/src/999/999/9999999999/-/ADT-00/9999999999_-_ADT-00_999999999999999_20261201000000000_-_1"
n=$(journal_lines)
wait_for 30 journal_at_least $((n + 2)) || fail "no snapshot from the journal after the change"
restored_is_tree || fail "the snapshot read from the journal does not restore to the tree"
pass "a rewritten, a removed, a renamed and a new file in a new folder: the journal's snapshot restores to the tree"

w=$(walk_lines)
wait_for 30 walks_more_than "$w" || fail "no full walk on schedule (full_walk = 8s)"
pass "the whole tree is walked again on schedule"

# changes nobody watches: the daemon is stopped
stop_daemon
n=$(nsnap)
w=$(walk_lines)
printf 'NTE|2|changed while stopped\r' >> "$f"
rm "$(find "$T/src" -type f -name '*_1' | sort | sed -n 4p)"
cp "$f" "$(dirname "$f")/blind-copy"
start_daemon "$T/c.conf"
wait_for 60 more_snapshots $((n + 1)) || fail "no snapshot after the restart"
[ "$(walk_lines)" -gt "$w" ] || fail "the first snapshot after the restart did not walk the tree"
restored_is_tree || fail "changes made while the daemon was stopped are not in the snapshot"
pass "changes made while the daemon was stopped (no inotify) are in the first snapshot after the restart"
stop_daemon
