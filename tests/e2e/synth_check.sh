# synth_check: a small hospital read back by an independent reader (synth_check.py): every
# file is ISO-2022-JP starting with MSH, its MSH-9 matches its data-type folder, its name has
# 7 fields that agree with its folders, its care date sits in the field SS-MIX2 names, its
# time is its event time; the manifest agrees, key by key, with CURRENT-STATE.md computed
# from the files; the census has no double-booked bed and a real hospital's occupancy.
. "$CV_SOURCE_DIR/tests/lib.sh"
W="$T"
if [ -w /dev/shm ]; then W=$(mktemp -d /dev/shm/cv-synth-check.XXXXXX); trap 'rm -rf "$W"' EXIT; fi
if [ "${CV_SANITIZE:-0}" = 1 ]; then n=150 y=1; else n=400 y=2; fi

expect_status 0 cv synth --out "$W/h" --patients $n --years $y --seed 3 --manifest "$W/m.json" \
    --no-sync
$PY "$CV_SOURCE_DIR/tests/e2e/synth_check.py" "$W/h" "$W/m.json" || fail "synth_check.py"
pass "$n patients, $y years: files, manifest and census check out"

# a leap-day end date, one year, another seed
expect_status 0 cv synth --out "$W/l" --patients 120 --years 1 --seed 29 --end-date 2028-02-29 \
    --manifest "$W/l.json" --no-sync
$PY "$CV_SOURCE_DIR/tests/e2e/synth_check.py" "$W/l" "$W/l.json" || fail "synth_check.py (leap day)"
pass "leap-day end date"
