# s3_lib.sh: a throwaway S3 server for a test or a benchmark (sourced): a Ceph cluster
# (tests/tools/ceph-cluster.sh) and one long-lived boto3 helper (s3_client.py serve), so that
# each check costs a TCP round trip instead of a python start.
#
#   s3_start DIR OSDS [BYTES]  start both; exports S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
#                              CEPH_CONF (exit 77 from the cluster script: packages missing)
#   s3c ARGS...                one s3_client.py command (see there); its output and status
#   s3_stop                    stop both (call it from the test's EXIT trap)
#   s3_scratch_tmpfs           move the test's scratch folder $T to a tmpfs (/dev/shm), when
#                              there is one: a test against Ceph makes some 10,000 small files
#                              (trees, repositories, restores, the monitor's store), which on a
#                              busy shared disk cost tens of seconds to write and to remove
#   s3_scratch_done STATUS     from the EXIT trap, after s3_stop: remove it after a pass; after
#                              a failure move it back where lib.sh put $T, to be looked at

S3_TOOLS="$CV_SOURCE_DIR/tests/tools"
S3_DIR=""
S3C_PID=""
S3_SCRATCH=""
S3_DISK_T=""

s3_scratch_tmpfs() {
    local t
    [ -d /dev/shm ] && [ -w /dev/shm ] || return 0
    t=$(mktemp -d /dev/shm/cv-e2e-XXXXXX) || return 0
    rm -rf "$T"
    S3_DISK_T=$T
    T=$t
    S3_SCRATCH=$t
}

s3_scratch_done() {
    [ -n "$S3_SCRATCH" ] || return 0
    if [ "$1" = 0 ]; then
        rm -rf "$S3_SCRATCH"
    else
        mv "$S3_SCRATCH" "$S3_DISK_T" && echo "the scratch folder is $S3_DISK_T" >&2
    fi
    S3_SCRATCH=""
}

s3_start() {
    local rc=0
    S3_DIR=$1
    "$S3_TOOLS/ceph-cluster.sh" start "$@" || rc=$?
    [ $rc = 0 ] || { [ $rc = 77 ] && exit 77; echo "the Ceph cluster did not start" >&2; exit 1; }
    set -a
    . "$S3_DIR/env"
    set +a
    rm -f "$S3_DIR/s3c.port"
    /usr/bin/python3 "$S3_TOOLS/s3_client.py" serve "$S3_DIR/s3c.port" &
    S3C_PID=$!
    for i in $(seq 1 300); do
        [ -f "$S3_DIR/s3c.port" ] && break
        kill -0 "$S3C_PID" 2> /dev/null || { echo "s3_client.py serve died" >&2; exit 1; }
        sleep 0.1
    done
    S3C_PORT=$(cat "$S3_DIR/s3c.port")
}

s3c() {
    local fd line rc=1
    exec {fd}<> "/dev/tcp/127.0.0.1/$S3C_PORT" || return 1
    printf '%s\037' "$@" >&$fd
    printf '\n' >&$fd
    while IFS= read -r line <&$fd; do
        case $line in
        $'\036'*) rc=${line#?}; break ;;
        esac
        printf '%s\n' "$line"
    done
    exec {fd}>&-
    return "$rc"
}

s3_stop() {
    set +e
    [ -n "$S3_DIR" ] && "$S3_TOOLS/ceph-cluster.sh" stop "$S3_DIR"
    S3_DIR=""
    [ -n "$S3C_PID" ] && kill "$S3C_PID" 2> /dev/null && wait "$S3C_PID" 2> /dev/null
    S3C_PID=""
    true
}
