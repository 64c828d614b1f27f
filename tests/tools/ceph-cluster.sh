#!/bin/bash
# ceph-cluster.sh: a throwaway Ceph cluster for tests and benchmarks: one monitor, N OSDs on
# memstore (RAM only, nothing on disk but logs), and radosgw (S3) on 127.0.0.1, run as the
# calling user from Debian's packages (ceph-mon, ceph-osd, radosgw, ceph-common). Nothing
# outside DIR is touched; every daemon is started and stopped by its PID.
#
#   ceph-cluster.sh start DIR [OSDS [MEMSTORE_BYTES]]   start; writes DIR/env (S3_* variables)
#   ceph-cluster.sh stop DIR                            stop every daemon, remove DIR
#   ceph-cluster.sh kill-osd DIR N                      kill -9 OSD N and mark it down
#   ceph-cluster.sh stop-rgw DIR / start-rgw DIR        take the S3 endpoint away and back
#
# DIR/env holds S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, CEPH_CONF for `. DIR/env`.
# Exit 77 (skip) from start when the packages are missing.
set -eu

cmd=${1:?usage: ceph-cluster.sh start|stop|kill-osd DIR ...}
dir=${2:?usage: ceph-cluster.sh start|stop|kill-osd DIR ...}

# free_ports N: N TCP ports on 127.0.0.1 that nobody listens on, chosen below the kernel's
# ephemeral range (32768-) so that no outgoing connection takes one meanwhile; bash only (a
# python start costs seconds on a loaded machine)
free_ports() {
    local got="" p
    while [ "$(echo $got | wc -w)" -lt "$1" ]; do
        p=$((20000 + RANDOM % 12000))
        case " $got " in *" $p "*) continue ;; esac
        (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null && continue
        got="$got $p"
    done
    echo $got
}

# answers URL: radosgw answers HTTP at URL
answers() {
    curl -s -o /dev/null --max-time 2 "$1"
}

# Everything is thrown away (memstore keeps nothing), so there is nothing to shut down
# cleanly: kill -9 each daemon by its PID and wait until it is gone.
stop_all() {
    local pids="" p pid
    [ -d "$dir/run" ] || return 0
    for p in "$dir"/run/*.pid; do
        [ -f "$p" ] || continue
        pid=$(cat "$p" 2> /dev/null || true)
        [ -n "$pid" ] && kill -9 "$pid" 2> /dev/null && pids="$pids $pid"
    done
    for i in $(seq 1 50); do
        alive=0
        for pid in $pids; do kill -0 "$pid" 2> /dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
}

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_for() {
    limit=$(($1 * 5)); shift
    for i in $(seq 1 $limit); do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

start() {
    nosd=${3:-1}
    bytes=${4:-1073741824}
    for b in ceph-mon ceph-osd radosgw ceph radosgw-admin monmaptool osdmaptool curl; do
        command -v $b > /dev/null || { echo "ceph-cluster: $b missing (scripts/install-deps)" >&2; exit 77; }
    done
    rm -rf "$dir"
    mkdir -p "$dir/run" "$dir/log" "$dir/mon"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    set -- $(free_ports 2)
    monport=$1 rgwport=$2
    size=$((nosd >= 3 ? 3 : 1))
    minsize=$((nosd >= 3 ? 2 : 1))
    cat > "$dir/ceph.conf" << EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$monport
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
mon data = $dir/mon
osd data = $dir/osd\$id
keyring = /dev/null
osd objectstore = memstore
memstore device bytes = $bytes
osd pool default size = $size
osd pool default min size = $minsize
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
# a map change every 1 s by default: radosgw's start makes a dozen, a throwaway cluster need not wait
paxos propose interval = 0.05
paxos min wait = 0.01
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd heartbeat grace = 6
osd heartbeat interval = 2
mon osd down out interval = 600
osd op thread timeout = 60
rgw frontends = beast endpoint=127.0.0.1:$rgwport
rgw data = $dir/rgw
rgw enable usage log = false
rgw dns name = localhost
debug ms = 0
[osd]
osd memory target = 268435456
EOF
    conf="$dir/ceph.conf"
    monmaptool --create --clobber --add a "v2:127.0.0.1:$monport" --fsid "$fsid" "$dir/monmap" > /dev/null
    # the OSDs are in the monitor's first map: no `ceph osd create` round trip for each
    osdmaptool -c "$conf" --createsimple "$nosd" --clobber "$dir/osdmap" > /dev/null 2>&1
    ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --osdmap "$dir/osdmap" > "$dir/log/mkfs.log" 2>&1
    ceph-mon -c "$conf" -i a
    for i in $(seq 0 $((nosd - 1))); do
        mkdir -p "$dir/osd$i"
        ceph-osd -c "$conf" -i "$i" --mkfs > "$dir/log/mkfs-osd$i.log" 2>&1
        ceph-osd -c "$conf" -i "$i" 2>> "$dir/log/osd$i.stderr"
    done
    mkdir -p "$dir/rgw"
    radosgw -c "$conf" -n client.rgw.a
    # radosgw answers once the OSDs are up and its pools made
    wait_for 90 answers "http://127.0.0.1:$rgwport/" ||
        { echo "ceph-cluster: radosgw did not answer (see $dir/log)" >&2; exit 1; }
    radosgw-admin -c "$conf" user create --uid vault --display-name vault \
        --access-key CVTESTACCESSKEY --secret CVtestSecretKey0123456789 > /dev/null
    cat > "$dir/env" << EOF
S3_ENDPOINT=http://127.0.0.1:$rgwport
S3_ACCESS_KEY=CVTESTACCESSKEY
S3_SECRET_KEY=CVtestSecretKey0123456789
CEPH_CONF=$conf
EOF
}

case "$cmd" in
start) start "$@" ;;
stop)
    stop_all
    rm -rf "$dir"
    ;;
kill-osd)
    # kill -9, and tell the monitor at once instead of after the heartbeat grace (the test is
    # about losing nothing, not about how fast Ceph notices)
    n=${3:?osd number}
    kill -9 "$(cat "$dir/run/osd.$n.pid")"
    ceph -c "$dir/ceph.conf" osd down "$n" > /dev/null 2>&1 || true
    ;;
stop-rgw)
    pid=$(cat "$dir/run/client.rgw.a.pid")
    kill "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    ;;
start-rgw)
    . "$dir/env"
    radosgw -c "$dir/ceph.conf" -n client.rgw.a
    wait_for 60 answers "$S3_ENDPOINT/" ||
        { echo "ceph-cluster: radosgw did not come back" >&2; exit 1; }
    ;;
*)
    echo "usage: ceph-cluster.sh start|stop|kill-osd DIR ..." >&2
    exit 2
    ;;
esac
