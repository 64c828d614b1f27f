# lib-vault.sh: helpers for the vault's end-to-end tests (sourced after tests/lib.sh).
export CHARTVAULT_PASSWORD="correct horse battery staple"
GEN="$PY $CV_SOURCE_DIR/tests/vault/ssmix2-tree.py"
export XDG_CACHE_HOME="$T/cache"
# Trees and restores (tens of thousands of small files) go to tmpfs when there is one: on this
# project's build machine ext4 with online discard makes creating and deleting them the
# slowest part of the test by far. Repositories stay in $T, on the real file system.
S=$(mktemp -d /dev/shm/cv-vault-XXXXXX 2>/dev/null || mktemp -d "$T/scratch-XXXXXX")
trap 'rm -rf "$S"' EXIT

# make_hospital DIR PATIENTS: a synthetic SS-MIX2 tree (chartvault synth when it exists).
make_hospital() {
    if cv synth --help >/dev/null 2>&1; then
        cv synth --out "$1" --patients "$2" --years 2 --seed 7 --no-sync >/dev/null
    else
        $GEN make "$1" --patients "$2" --years 2 --seed 7 >/dev/null
    fi
}

# new_repo DIR [init options]: an initialised repository with the cheap test KDF.
new_repo() {
    r=$1; shift
    cv init --repo "$r" --kdf fast "$@" >/dev/null
}

# tree_hash_meta DIR: one hash over every file's path, content and mtime, and every folder's
# path (so that empty folders and times count too).
tree_hash_meta() {
    (cd "$1" && { find . -type f -printf '%p %T@\n'; find . -type d -printf '%p/\n'; } |
        LC_ALL=C sort | sha256sum | cut -c1-64; tree_hash .)
}

# json_field FILE KEY: a top-level value of a JSON object.
json_field() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# small: "1" under ASan (use smaller sizes there)
small() { [ "${CV_SANITIZE:-0}" = 1 ] || [ "${CV_SANITIZE:-}" = "ON" ]; }
