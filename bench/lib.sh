# lib.sh: shared helpers for benchmarks, sourced by bench/* scripts.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHARTVAULT="${BENCH_CHARTVAULT:-$ROOT/build/chartvault}"
BENCH_DATA="${BENCH_DATA:-$ROOT/build/bench-data}"
mkdir -p "$BENCH_DATA"
[ -x "$CHARTVAULT" ] || { echo "build first: make" >&2; exit 1; }

# bench_hospital PATIENTS YEARS: path of a cached synth hospital (made on first use).
bench_hospital() {
    dir="$BENCH_DATA/hospital-$1p-$2y"
    if [ ! -f "$dir.done" ]; then
        rm -rf "$dir" "$dir.manifest.json"
        echo "making a $1-patient, $2-year synth hospital in $dir ..." >&2
        "$CHARTVAULT" synth --out "$dir" --patients "$1" --years "$2" --seed 1 \
            --manifest "$dir.manifest.json" --no-sync >&2
        touch "$dir.done"
    fi
    echo "$dir"
}

# warm DIR: read every file so that the next run starts from the same warm page cache.
warm() { find "$1" -type f -print0 | xargs -0 cat > /dev/null; }

# tmpfs_mount DIR KIB INODES: mount a tmpfs of KIB KiB and INODES inodes at DIR for a run.
# Only as root and only when memory allows (KIB plus 4 GB to spare); else it mounts nothing
# and returns non-zero. Unmount with tmpfs_umount DIR, which frees the whole tree at once.
tmpfs_mount() {
    avail=$(awk '/^MemAvailable/ {print $2}' /proc/meminfo)
    [ "$(id -u)" = 0 ] && [ "$avail" -gt $(($2 + 4000000)) ] || return 1
    mkdir -p "$1"
    mount -t tmpfs -o "size=${2}k,nr_inodes=$3" tmpfs "$1" 2> /dev/null || { rmdir "$1"; return 1; }
}
tmpfs_umount() { umount "$1" && rmdir "$1"; }

# drop_caches: cold cache when allowed (root); silently a no-op otherwise.
drop_caches() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches || true; }

# measure NAME CMD...: run CMD under /usr/bin/time, print "NAME seconds peak_rss_kib".
measure() {
    name=$1; shift
    /usr/bin/time -f "%e %M" -o "$BENCH_DATA/.time" "$@" > "$BENCH_DATA/.out" 2>&1 ||
        { echo "$name: failed" >&2; tail -5 "$BENCH_DATA/.out" >&2; return 1; }
    echo "$name $(cat "$BENCH_DATA/.time")"
}
