# index_manifest: the index of a synth hospital equals the generator's ground truth
# (`chartvault synth --manifest`, docs/CURRENT-STATE.md) for every patient — demographics,
# contacts, allergies, active diagnoses, location, attending, medications, labs, diet,
# reports — and for the census of every ward. Skipped until `chartvault synth` exists.
. "$CV_SOURCE_DIR/tests/lib.sh"

cv synth --help > /dev/null 2>&1 || { echo "skip: no chartvault synth in this build"; exit 77; }
patients=200
[ "${CV_SANITIZE:-0}" = 1 ] && patients=60
expect_status 0 cv synth --out "$T/h" --patients "$patients" --years 1 --seed 7 --no-sync \
    --manifest "$T/manifest.json"
expect_status 0 cv index --source "$T/h" --db "$T/index.db" --json
assert_contains "$T/out" '"rejected":0'
"$PY" - "$CHARTVAULT" "$T/index.db" "$T/manifest.json" <<'PY'
import json, subprocess, sys
cv, db, manifest = sys.argv[1:4]
m = json.load(open(manifest))
end = m["end_date"]

def query(*args):
    out = subprocess.run([cv, "query", "--db", db, "--json", "--as-of", end, *args],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("query %s failed: %s" % (" ".join(args), out.stderr.strip()))
    return json.loads(out.stdout)

bad = 0
out = subprocess.run([cv, "query", "--db", db, "--json", "--as-of", end, "patient",
                      *[p["id"] for p in m["patients"]]], capture_output=True, text=True)
if out.returncode != 0:
    raise SystemExit("query patient failed: " + out.stderr.strip())
index = {p["id"]: p for p in map(json.loads, out.stdout.splitlines())}
for want in m["patients"]:
    got = index[want["id"]]
    for key in want:
        if got.get(key) != want[key]:
            bad += 1
            if bad <= 10:
                print("patient %s: %s\n  index:    %s\n  manifest: %s" % (
                    want["id"], key, json.dumps(got.get(key), ensure_ascii=False)[:400],
                    json.dumps(want[key], ensure_ascii=False)[:400]))
assert len(m["patients"]) >= 1
rows = query("ward")
wards = {}
for r in rows:
    wards.setdefault(r["ward"], []).append({"room": r["room"], "bed": r["bed"], "id": r["id"]})
beds = {w["ward"]: w for w in query("wards")}
for w in m["census"]:
    got = wards.pop(w["ward"], [])
    if got != w["patients"] or len(got) != w["occupied"]:
        bad += 1
        print("census of ward %s differs: %d in the index, %d in the manifest" % (
            w["ward"], len(got), w["occupied"]))
    seen = beds.get(w["ward"], {}).get("beds", 0)
    if seen > w["beds"]:
        bad += 1
        print("ward %s: %d beds seen, the hospital has %d" % (w["ward"], seen, w["beds"]))
for ward, got in wards.items():
    if got:
        bad += 1
        print("ward %s has %d patients in the index and none in the manifest" % (ward, len(got)))
if bad:
    raise SystemExit("%d differences" % bad)
print("%d patients and %d wards equal" % (len(m["patients"]), len(m["census"])))
PY
pass "index equals the synth manifest"
