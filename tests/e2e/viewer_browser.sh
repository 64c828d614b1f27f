# viewer_browser: a nurse's path in headless Chromium (Debian's), driven by playwright-core:
# log in, search, open a patient (one in a bed with a drip of several drugs and a culture),
# print view, a patient known only from other messages' PID (unconfirmed), bed map and census
# from the start page, English.
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
        --end-date "$(date +%Y-%m-%d)" --manifest "$T/manifest.json"
    export CV_EXPECT_CENSUS=1
else
    mkdir -p "$T/tree"
    cp -r "$CV_CORPUS/999" "$T/tree/"
    query=9999
fi
expect_status 0 cv index --source "$T/tree" --db "$T/index.db"
if [ -n "${CV_EXPECT_CENSUS:-}" ]; then
    # the patient in a bed whose summary shows the most: a drip of several drugs, a culture with
    # its susceptibility, a suspected diagnosis; and a patient with no registration record
    read -r query unconfirmed diagnoses < <($PY - "$T/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
def score(p):
    return (4 * any(len(x["components"]) > 1 for x in p["medications"]) + 4 * bool(p["cultures"])
            + any(d["suspected"] for d in p["diagnoses"]) + bool(p["recent_medications"]))
beds = [p for p in m["patients"] if p["location"]]
best = max(beds, key=lambda p: (score(p), p["id"]))
pid = [p["id"] for p in m["patients"] if p["demographics_source"] == "PID"]
dx = max(m["patients"], key=lambda p: (bool(p["older_diagnoses"]) + any(
    d["suspected"] for d in p["diagnoses"] + p["older_diagnoses"]), p["id"]))
print(best["id"], pid[0] if pid else "-", dx["id"] if dx["older_diagnoses"] else "-")
PY
)
    export CV_EXPECT_SECTIONS=1 CV_UNCONFIRMED="$unconfirmed" CV_DIAGNOSES="$diagnoses"
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
