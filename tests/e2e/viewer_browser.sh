# viewer_browser: a nurse's path in headless Chromium (Debian's), driven by playwright-core:
# log in, search, open a patient, print view, bed map and census from the start page, English.
# Screenshots go to the test's scratch folder; with CV_UPDATE_SCREENSHOTS=1 (make screenshots) they
# replace docs/screenshots/. Release build only (skipped under ASan).
. "$CV_SOURCE_DIR/tests/lib.sh"
. "$CV_SOURCE_DIR/tests/viewer_lib.sh"

[ "${CV_SANITIZE:-0}" = 1 ] && { echo "browser test runs in the release build only"; exit 77; }
[ -x /usr/bin/chromium ] || { echo "no /usr/bin/chromium"; exit 77; }
command -v node > /dev/null || { echo "no node"; exit 77; }
cv --help | grep -q '^  index ' || { echo "no 'chartvault index' in this build"; exit 77; }

B="$CV_SOURCE_DIR/tests/browser"
if [ ! -d "$B/node_modules/playwright-core" ]; then
    (cd "$B" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/browser"
fi

# a small hospital with wards when synth is there, else the public samples
if cv --help | grep -q '^  synth '; then
    expect_status 0 cv synth --out "$T/tree" --patients 120 --years 1 --seed 7 --no-sync \
        --end-date "$(date +%Y-%m-%d)"
    export CV_EXPECT_CENSUS=1
else
    mkdir -p "$T/tree"
    cp -r "$CV_CORPUS/999" "$T/tree/"
    query=9999
fi
expect_status 0 cv index --source "$T/tree" --db "$T/index.db"
if [ -n "${CV_EXPECT_CENSUS:-}" ]; then # search the kana name of the first patient in a bed
    query=$(cv query --db "$T/index.db" --json ward |
        $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["kana"])')
fi
make_password "$T/pw" "tablet-3e-long-password"
expect_status 0 cv user add nurse --role viewer --state "$T/state" --password-file "$T/pw"
start_server --db "$T/index.db" --state "$T/state"

shots="$T/screenshots"
[ "${CV_UPDATE_SCREENSHOTS:-0}" = 1 ] && shots="$CV_SOURCE_DIR/docs/screenshots"
mkdir -p "$shots"
(cd "$B" && CV_URL="$URL" CV_USER=nurse CV_PASSWORD=tablet-3e-long-password CV_QUERY="$query" \
    CV_SCREENSHOTS="$shots" CV_PROFILE="$T/profile" \
    timeout 300 node viewer.test.js) || fail "browser test"
rm -f "$shots/patient-print.pdf"
pass "headless Chromium: login, search, patient, print, bed map, census, English"
