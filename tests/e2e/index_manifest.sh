# index_manifest: the index of a synth hospital equals the generator's ground truth
# (`chartvault synth --manifest`, docs/CURRENT-STATE.md) for every patient — demographics
# (from ADT-00, or from another message's PID when there is none), blood type in every code
# and value form, contacts, allergies, active diagnoses (suspected ones, those only in older
# PPR-01 files), location, attending, current and recently ended medications (injections with
# their RXC components, rate, route, instructions), labs, cultures grouped by OBX-4, diet,
# reports — and for the census of every ward; and every one of those forms occurs. Skipped
# until `chartvault synth` exists.
. "$CV_SOURCE_DIR/tests/lib.sh"

cv synth --help > /dev/null 2>&1 || { echo "skip: no chartvault synth in this build"; exit 77; }
patients=2000
[ "${CV_SANITIZE:-0}" = 1 ] && patients=300
W="$T" # the tree in memory when there is room: 2000 patients are 75,000 small files
if [ -w /dev/shm ]; then W=$(mktemp -d /dev/shm/cv-index-manifest.XXXXXX); trap 'rm -rf "$W"' EXIT; fi
expect_status 0 cv synth --out "$W/h" --patients "$patients" --years 1 --seed 7 --no-sync \
    --manifest "$T/manifest.json"
expect_status 0 cv index --source "$W/h" --db "$T/index.db" --json
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
    if set(got) != set(want):
        bad += 1
        print("patient %s: keys differ: %s" % (want["id"], sorted(set(got) ^ set(want))))
    for key in want:
        if got.get(key) != want[key]:
            bad += 1
            if bad <= 10:
                print("patient %s: %s\n  index:    %s\n  manifest: %s" % (
                    want["id"], key, json.dumps(got.get(key), ensure_ascii=False)[:400],
                    json.dumps(want[key], ensure_ascii=False)[:400]))
assert len(m["patients"]) >= 1
# every rule of docs/CURRENT-STATE.md is exercised, not only the easy cases
P = m["patients"]
def count(f):
    return sum(1 for p in P if f(p))
seen = {
    "demographics from another message's PID": count(lambda p: p["demographics_source"] == "PID"),
    "Rh negative": count(lambda p: p["rh"] == "-"),
    "suspected diagnosis": count(lambda p: any(d["suspected"] for d in p["diagnoses"])),
    "diagnosis only in an older PPR-01": count(lambda p: p["older_diagnoses"]),
    "current injection": count(lambda p: any(x["kind"] == "injection" for x in p["medications"])),
    "injection with base and additive": count(lambda p: any(
        len(x["components"]) > 1 for x in p["medications"] + p["recent_medications"])),
    "recently ended medication": count(lambda p: p["recent_medications"]),
    "medication starting after the end date": count(lambda p: p["upcoming_medications"]),
    "no medication in 30 days": count(lambda p: not p["medications"] and not p["recent_medications"]),
    "culture with several organisms": count(lambda p: any(
        len(c["organisms"]) > 1 for c in p["cultures"])),
    "susceptibility": count(lambda p: any(o["susceptibility"] for c in p["cultures"]
                                          for o in c["organisms"])),
    "earlier culture": count(lambda p: any(c["earlier"] for c in p["cultures"])),
}
for what, n in seen.items():
    # a discharge prescription for the day after the end date: a handful in 2000 patients,
    # often none in the 300 of the sanitizer build
    if n == 0 and not (what.startswith("medication starting") and len(P) < 1000):
        bad += 1
        print("no patient shows: " + what)
print(", ".join("%s %d" % kv for kv in seen.items()))
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
