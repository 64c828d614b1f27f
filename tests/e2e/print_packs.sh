# print_packs: downtime packs of a synth hospital. Each ward's PDF holds every current
# inpatient's name, kana and ID (pdftotext), "未確認" on the page of every patient with no
# recorded allergy, page i / n on every page with n = the PDF's page count, "not valid after"
# = as of + --valid-for on every page; the labels page's barcodes (Code 128 and QR) decode
# with zbarimg from a 300 dpi render to exactly the ward's IDs; hospital.pdf holds every
# inpatient and their next of kin's phones; print --repo prints from a snapshot; bad options
# and a missing ward are refused with a reason.
# And what issue 19 made right, against the manifest, patient by patient: blood type (未登録
# when none) on the patient page and the wristband; 【本人未確認】 on the census, the patient
# page and the wristband of a patient without ADT-00; diagnoses with 【疑い】 and ★主病名, and
# those only in older PPR-01 files in their own list; an injection's every RXC component with
# amount and unit, route, rate and instructions (never the joined names or the kind of
# order); medications current, starting soon and recently ended in the index's recent days
# (30 by default, --recent-days), or "no orders on record in the last N days"; cultures with
# every organism and susceptibility; ages and the printed time at the facility (05:30 JST on
# a birthday with the machine in UTC).
. "$CV_SOURCE_DIR/tests/lib.sh"

for tool in pdftotext pdfinfo pdftoppm zbarimg; do
    command -v $tool >/dev/null || { echo "no $tool (poppler-utils, zbar-tools)"; exit 77; }
done

# seed 73: among its 12 inpatients, one without ADT-00, some without blood type, suspected and
# older-only diagnoses, a culture with two organisms, drips with additives, orders starting
# soon, patients with no orders (the checks below insist that each form occurs)
expect_status 0 cv synth --out "$T/tree/1234567890" --patients 800 --years 1 --seed 73 \
    --no-sync --manifest "$T/manifest.json"
expect_status 0 cv index --source "$T/tree/1234567890" --db "$T/index.db"
END=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["end_date"])' "$T/manifest.json")

expect_status 0 cv print --db "$T/index.db" --out "$T/packs" --facility "テスト総合病院" \
    --valid-for 2h --as-of "$END" --json
cp "$T/out" "$T/summary.json"
ls "$T/packs" > "$T/files"
assert_contains "$T/files" "hospital.pdf"
pass "print wrote the packs: $(cat "$T/summary.json")"

# check WARD_PDF IDS...: the ward's PDF against the manifest (python, below)
$PY - "$T" "$CV_SOURCE_DIR" <<'PYEOF'
import json, os, re, subprocess, sys, datetime
T, src = sys.argv[1], sys.argv[2]
m = json.load(open(f"{T}/manifest.json"))
summary = json.load(open(f"{T}/summary.json"))
patients = {p["id"]: p for p in m["patients"]}

def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)

def text(pdf, mode="-layout"):
    return subprocess.run(["pdftotext", mode, pdf, "-"], check=True,
                          capture_output=True).stdout.decode()

def file_name(ward):
    out = "ward-"
    for b in ward.encode():
        c = chr(b)
        out += c if (c.isascii() and c.isalnum()) or c == "-" else "_%02X" % b
    return out + ".pdf"

as_of = datetime.datetime.strptime(summary["as_of"], "%Y-%m-%d %H:%M")
want_exp = (as_of + datetime.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
if summary["not_valid_after"] != want_exp:
    fail(f"not valid after {summary['not_valid_after']}, wanted {want_exp}")
if summary["wards"] != len(m["census"]):
    fail(f"{summary['wards']} ward packs for {len(m['census'])} wards")

inpatients = 0
for ward in m["census"]:
    pdf = f"{T}/packs/{file_name(ward['ward'])}"
    if not os.path.exists(pdf):
        fail(f"no pack for ward {ward['ward']} ({pdf})")
    pages = text(pdf).split("\f")[:-1]
    # in drawing order, a wrapped cell's lines follow each other: joined, a long drug name
    # reads whole again
    raw = [pg.replace("\n", "") for pg in text(pdf, "-raw").split("\f")[:-1]]
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, check=True).stdout.decode()
    n = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    if n != len(pages):
        fail(f"{pdf}: pdfinfo says {n} pages, pdftotext saw {len(pages)}")
    ids = [b["id"] for b in ward["patients"]]
    # census + at least one page per patient + labels
    if n < len(ids) + 2:
        fail(f"{pdf}: {n} pages for {len(ids)} patients")
    for i, page in enumerate(pages):
        if not re.search(rf"\b{i + 1} / {n}\b", page):
            fail(f"{pdf}: page {i + 1} lacks '{i + 1} / {n}'")
        if want_exp not in page or summary["as_of"] not in page:
            fail(f"{pdf}: page {i + 1} lacks the as-of time or 'not valid after {want_exp}'")
        if "テスト総合病院" not in page:
            fail(f"{pdf}: page {i + 1} lacks the facility")
    whole = "\n".join(pages)
    for pid in ids:
        p = patients[pid]
        inpatients += 1
        for what in (f"{p['name']['family']} {p['name']['given']}",
                     f"{p['kana']['family']} {p['kana']['given']}", pid):
            if what not in whole:
                fail(f"{pdf}: lacks '{what}' of patient {pid}")
        own = [pg for pg in pages if f"患者ID {pid}" in pg]
        own_raw = "".join(r for r in raw if f"患者ID {pid}" in r)
        if not own:
            fail(f"{pdf}: no page with the footer '患者ID {pid}'")
        first = own[0]
        if p["allergy_status"] == "none_recorded":
            if "アレルギー: 未確認" not in first:
                fail(f"{pdf}: patient {pid} has no allergy recorded and the page lacks '未確認'")
        else:
            if "アレルギー: あり" not in first:
                fail(f"{pdf}: patient {pid} has allergies and the page does not say so")
            for a in p["allergies"]:
                if a["allergen"] not in own_raw:
                    fail(f"{pdf}: patient {pid}: allergen {a['allergen']} missing")
        for c in p["contacts"]:
            for ph in c["phones"]:
                if ph not in "".join(own):
                    fail(f"{pdf}: patient {pid}: next-of-kin phone {ph} missing")
    # the labels page(s): every ID as Code 128 and QR, nothing else
    label_pages = [i + 1 for i, pg in enumerate(pages) if "wristband labels" in pg]
    if not label_pages:
        fail(f"{pdf}: no labels page")
    got = set()
    for pg in label_pages:
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-f", str(pg), "-l", str(pg),
                        pdf, f"{T}/labels"], check=True)
    for f in sorted(os.listdir(T)):
        if f.startswith("labels") and f.endswith(".png"):
            out = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Scode128.enable",
                                  "-Sqrcode.enable", f"{T}/{f}"], capture_output=True)
            got |= set(out.stdout.decode().split())
            os.unlink(f"{T}/{f}")
    if got != set(ids):
        fail(f"{pdf}: barcodes decoded {sorted(got)}, wanted {sorted(ids)}")
    print(f"ok: ward {ward['ward']}: {n} pages, {len(ids)} inpatients, every barcode decodes")

hosp = text(f"{T}/packs/hospital.pdf")
for ward in m["census"]:
    for b in ward["patients"]:
        p = patients[b["id"]]
        if b["id"] not in hosp:
            fail(f"hospital.pdf lacks inpatient {b['id']}")
        for c in p["contacts"]:
            for ph in c["phones"]:
                if ph not in hosp:
                    fail(f"hospital.pdf lacks next-of-kin phone {ph} of {b['id']}")
print(f"ok: hospital.pdf: {inpatients} inpatients with their next of kin")
PYEOF

# issue 19's fields, patient by patient (tests/e2e/print_clinical.py): on the end date with the
# default 30 days; two days before it with 28 (orders starting soon); 25 days after it with 5
# (patients with no order in 5 days, and those whose long prescriptions go on)
CLIN="$CV_SOURCE_DIR/tests/e2e/print_clinical.py"
$PY "$CLIN" "$T/manifest.json" "$T/packs" "$END" 30 \
    --want unconfirmed,no_blood,suspected,older,components,current,recent,cultures,organisms ||
    fail "the packs printed on $END"
day() { $PY -c 'import datetime as d, sys; print(d.date.fromisoformat(sys.argv[1]) + d.timedelta(int(sys.argv[2])))' "$END" "$1"; }
SOON=$(day -2)
LATER=$(day 25)
expect_status 0 cv print --db "$T/index.db" --out "$T/soon" --as-of "$SOON" --recent-days 28
$PY "$CLIN" "$T/manifest.json" "$T/soon" "$SOON" 28 --want upcoming || fail "as of $SOON"
expect_status 0 cv print --db "$T/index.db" --out "$T/later" --as-of "$LATER" --recent-days 5
$PY "$CLIN" "$T/manifest.json" "$T/later" "$LATER" 5 --want none,current || fail "as of $LATER"
pdftotext -raw "$T/packs/hospital.pdf" - | tr -d ' \n' > "$T/hospital.txt"
assert_contains "$T/hospital.txt" "【本人未確認】患者登録（ADT-00）なし"
expect_status 2 cv print --db "$T/index.db" --out "$T/x" --recent-days 0
assert_contains "$T/err" "recent-days wants a whole number from 1 to 3650"
pass "blood type, unconfirmed identity, diagnoses, injections, medication groups and cultures as the manifest says"

# one today, the facility's: the machine in UTC at 05:30 JST on an inpatient's birthday. The
# census and the patient page count the new age and the frame prints 05:30; with
# CHARTVAULT_TIMEZONE=UTC it is still the day before.
$PY - "$T/manifest.json" > "$T/birthday" <<'PYEOF'
import calendar, json, sys
m = json.load(open(sys.argv[1]))
P = {p["id"]: p for p in m["patients"]}
year = int(m["end_date"][:4])
for w in m["census"]:
    for b in w["patients"]:
        birth = P[b["id"]]["birth_date"]
        if birth and birth[5:] != "02-29":
            # 05:30 in Tokyo (UTC+9) is 20:30 UTC the day before
            t = calendar.timegm((year, int(birth[5:7]), int(birth[8:10]), 5, 30, 0)) - 9 * 3600
            print(w["ward"], b["id"], birth, year - int(birth[:4]), t)
            sys.exit(0)
sys.exit("no inpatient with a birth date")
PYEOF
read -r BWARD BPID BIRTH BAGE TARGET < "$T/birthday"
echo $((TARGET - $(date +%s))) > "$T/clock"
expect_status 0 env TZ=UTC CHARTVAULT_TEST_CLOCK_FILE="$T/clock" "$CHARTVAULT" print \
    --db "$T/index.db" --out "$T/bday" --ward "$BWARD"
expect_status 0 env TZ=UTC CHARTVAULT_TEST_CLOCK_FILE="$T/clock" CHARTVAULT_TIMEZONE=UTC \
    "$CHARTVAULT" print --db "$T/index.db" --out "$T/bday-utc" --ward "$BWARD"
$PY - "$T" "$BWARD" "$BPID" "$BIRTH" "$BAGE" "$TARGET" <<'PYEOF' || fail "today at the facility"
import datetime, re, subprocess, sys
T, ward, pid, birth, age, target = sys.argv[1:]
age, target = int(age), int(target)
name = "ward-" + "".join(c if c.isascii() and (c.isalnum() or c == "-") else
                         "".join("_%02X" % b for b in c.encode()) for c in ward) + ".pdf"
for folder, hours, want in (("bday", 9, age), ("bday-utc", 0, age - 1)):
    text = subprocess.run(["pdftotext", "-raw", f"{T}/{folder}/{name}", "-"], check=True,
                          capture_output=True).stdout.decode()
    when = datetime.datetime.fromtimestamp(target, datetime.timezone.utc) + \
        datetime.timedelta(hours=hours)
    printed = when.strftime("%Y-%m-%d %H:%M")
    joined = re.sub(r"\s+", "", text)
    for needle in (f"印刷{printed}", f"{pid}{want}歳", f"生年月日{birth}（{want}歳）"):
        if re.sub(r"\s+", "", needle) not in joined:
            sys.exit(f"{folder}: '{needle}' missing (born {birth}, clock {printed})")
    print(f"ok: {folder}: printed {printed}, {pid} is {want} on the census and the page")
PYEOF
pass "ages and the printed time at the facility: $BAGE at 05:30 JST on the birthday, one less in UTC"

# each symbology on its own, so that one cannot stand in for the other
pdftoppm -r 300 -gray -png -f "$(pdfinfo "$T/packs/ward-3E.pdf" | awk '/^Pages/ {print $2}')" \
    "$T/packs/ward-3E.pdf" "$T/last"
zbarimg -q --raw -Sdisable -Scode128.enable "$T"/last*.png > "$T/c128" 2>/dev/null || true
zbarimg -q --raw -Sdisable -Sqrcode.enable "$T"/last*.png > "$T/qr" 2>/dev/null || true
[ -s "$T/c128" ] && [ -s "$T/qr" ] || fail "Code 128 ($(wc -l < "$T/c128")) or QR ($(wc -l < "$T/qr")) missing"
cmp -s <(sort "$T/c128") <(sort "$T/qr") || fail "Code 128 and QR decode to different IDs"
pass "Code 128 and QR each decode ($(wc -l < "$T/c128") labels on the last page)"

# one ward only; a ward that does not exist; bad options
expect_status 0 cv print --db "$T/index.db" --out "$T/one" --ward 3E
[ -f "$T/one/ward-3E.pdf" ] && [ ! -f "$T/one/hospital.pdf" ] || fail "--ward 3E wrote $(ls "$T/one")"
expect_status 1 cv print --db "$T/index.db" --out "$T/none" --ward 9Z
assert_contains "$T/err" "no ward '9Z'"
expect_status 2 cv print --db "$T/index.db" --out "$T/x" --valid-for soon
assert_contains "$T/err" "not a duration"
expect_status 2 cv print --db "$T/index.db" --repo "$T/repo" --out "$T/x"
expect_status 1 cv print --db "$T/missing.db" --out "$T/x"
cp "$T/index.db" "$T/newer.db"
sqlite3 "$T/newer.db" "PRAGMA user_version=9999" 2>/dev/null || $PY -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version=9999"); c.commit()' "$T/newer.db"
expect_status 1 cv print --db "$T/newer.db" --out "$T/x"
assert_contains "$T/err" "newer chartvault"
pass "--ward, a missing ward, bad options, a missing index and one from a newer version are refused with a reason"

# from a snapshot: the index stored in it, no dump step
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
export CHARTVAULT_PASSWORD="print-test-passphrase-1"
expect_status 0 cv init --repo "$T/repo"
expect_status 0 cv backup --repo "$T/repo" --source "$T/tree" --db "$T/index.db"
expect_status 0 cv print --repo "$T/repo" --snapshot latest --out "$T/fromsnap" --json
assert_contains "$T/out" '"snapshot":'
pdftotext "$T/fromsnap/hospital.pdf" "$T/fromsnap.txt"
assert_contains "$T/fromsnap.txt" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["census"][0]["patients"][0]["id"])' "$T/manifest.json")"
ls "$TMPDIR" | grep -q "^chartvault-snap-" && fail "print --repo left its temporary copy"
expect_status 0 cv backup --repo "$T/repo" --source "$T/tree"
expect_status 1 cv print --repo "$T/repo" --out "$T/x"
assert_contains "$T/err" "holds no reference index"
pass "print --repo: from the snapshot's index; a snapshot without one is refused"
