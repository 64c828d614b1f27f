# index_samples: `chartvault index` and `chartvault query` on the real public SS-MIX2 samples:
# patient 9999013 as the storage's rules say (demographics from ADT-00 only, AL1 + ADT-61
# allergies, the PPR-01 diagnosis, prescriptions, labs, diet), the 2-byte invalid file and the
# junk files rejected with reasons, search in every spelling, and the exit codes.
. "$CV_SOURCE_DIR/tests/lib.sh"

cp -r "$CV_CORPUS" "$T/src"
db="$T/index.db"
expect_status 0 cv index --source "$T/src" --db "$db" --json
"$PY" - "$T/out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for k in ("seen", "new", "updated", "superseded", "deleted", "rejected", "seconds"):
    assert k in s, k
assert s["seen"] == 22 and s["new"] == 22 and s["rejected"] == 3, s
PY
pass "first run: 22 files, 3 rejected"

expect_status 0 cv query --db "$db" --json --as-of 2011-07-03 patient 9999013
"$PY" - "$T/out" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
keys = ["id", "name", "kana", "demographics_source", "birth_date", "sex", "blood_type", "rh",
        "height_cm", "weight_kg", "postcode", "address", "phones", "contacts", "allergy_status",
        "allergies", "diagnoses", "older_diagnoses", "location", "attending", "medications",
        "recent_medications", "upcoming_medications", "recent_days", "labs", "cultures", "diet",
        "reports",
        "pid3_mismatch"]
assert list(p) == keys, list(p)
assert p["id"] == "9999013"
assert p["name"] == {"family": "患者", "given": "太郎"}, p["name"]
assert p["kana"] == {"family": "カンジャ", "given": "タロウ"}, p["kana"]
assert p["birth_date"] == "1948-04-05", p["birth_date"]   # ADT-00 only; other PIDs disagree
assert p["sex"] == "M" and p["blood_type"] == "A" and p["rh"] is None
assert p["demographics_source"] == "ADT-00"
assert p["height_cm"] == 167.8 and p["weight_kg"] == 63.5
assert p["address"] == "静岡県静岡市登呂１−３−５" and p["postcode"] == "422-8033"
assert p["phones"][0] == "054-000-0000"
assert p["contacts"][0]["relationship"] == "本人"
assert p["allergy_status"] == "recorded"
allergens = {a["allergen"] for a in p["allergies"]}
assert {"ペニシリン", "スギ", "ソバ", "ハウスダスト", "アリナミン"} <= allergens, allergens
assert [(a["type"], a["allergen"]) for a in p["allergies"]] == sorted(
    (a["type"], a["allergen"]) for a in p["allergies"])
assert [d["name"] for d in p["diagnoses"]] == ["胃炎"] and p["diagnoses"][0]["icd10"] == "K297"
assert p["diagnoses"][0]["main"] is True and p["diagnoses"][0]["suspected"] is False
assert p["diagnoses"][0]["start"] == "2011-08-31" and p["diagnoses"][0]["end"] == "2011-09-15"
assert p["older_diagnoses"] == [] and p["cultures"] == []
drugs = {m["drug"] for m in p["medications"] if m["kind"] == "prescription"}
assert drugs == {"ダーゼン錠（５mg)", "パンスポリンＴ錠（１００mg)", "アレピアチン１０倍散"}, drugs
rx = [m for m in p["medications"] if m["drug"] == "ダーゼン錠（５mg)"][0]
assert rx == {"kind": "prescription", "drug": "ダーゼン錠（５mg)", "dose": "1", "unit": "錠",
              "usage": "内服・経口・１日３回朝昼夕食後", "start": "2011-07-01", "days": 5,
              "end": "2011-07-05", "start_time": None, "end_time": None, "route": "口",
              "rate": None, "instructions": None, "order_type": None, "components": []}, rx
labs = {l["name"]: l for l in p["labs"]}
assert labs["総蛋白"]["value"] == "7.2" and labs["総蛋白"]["unit"] == "g/dl"
assert labs["総蛋白"]["range"] == "6.70-8.3" and labs["総蛋白"]["time"] == "2011-12-19T15:00"
assert [l["code"] for l in p["labs"]] == sorted(l["code"] for l in p["labs"])
assert p["diet"] == [{"text": "塩分控えめ", "start": "2011-10-16"}], p["diet"]
# the three drips of 2011-07-01 ended two days before: recently ended, not current
assert p["recent_days"] == 30 and [m["kind"] for m in p["recent_medications"]] == ["injection"] * 3
assert not [m for m in p["medications"] if m["kind"] == "injection"]
assert {r["kind"] for r in p["reports"]} == {"endoscopy", "physiology"}
assert p["location"] is None      # admitted 11-20, discharged 12-20 12:00
assert p["pid3_mismatch"] is True
PY
pass "patient 9999013 as the storage says"

# The guideline sample's injection order (OMP-02): RXE-2 is the kind of order (一般, JHSI0002);
# the drugs are the RXC base and additive, with the rate, route and instructions.
expect_status 0 cv query --db "$db" --json --as-of 2011-07-01 patient 9999013
"$PY" - "$T/out" <<'PY'
import json, sys, unicodedata
p = json.load(open(sys.argv[1]))
inj = [m for m in p["medications"] if m["kind"] == "injection"]
assert len(inj) == 3, inj
fold = lambda s: unicodedata.normalize("NFKC", s).replace("\u2212", "-")
for m in inj:
    assert fold(m["drug"]).startswith("ソリタ-T3号輸液") and "アドナ" in m["drug"], m["drug"]
    assert [c["type"] for c in m["components"]] == ["B", "A"], m["components"]
    assert m["components"][0] == {"type": "B", "name": "ソリタ−Ｔ３号輸液５００ｍＬ",
                                  "code": "620007329", "amount": "1", "unit": "本"}
    assert m["components"][1]["name"] == "アドナ注（静脈用）50mg"
    assert m["components"][1]["unit"] == "アンプル"
    assert m["order_type"] == "一般" and m["route"] == "静脈内" and m["rate"] == "102 ml/hr"
    assert m["instructions"] == "５時間一定速度で" and m["dose"] == "510"
assert [(m["start_time"], m["end_time"]) for m in inj] == [
    ("2011-07-01T08:00", "2011-07-01T13:00"), ("2011-07-01T13:00", "2011-07-01T18:00"),
    ("2011-07-01T18:00", "2011-07-01T23:00")], inj
PY
expect_status 0 cv query --db "$db" --as-of 2011-07-01 patient 9999013
assert_contains "$T/out" "injection ソリタ−Ｔ３号輸液５００ｍＬ 1 本 + アドナ注（静脈用）50mg 1 アンプル"
assert_contains "$T/out" "102 ml/hr  ５時間一定速度で"
assert_contains "$T/out" "blood A (Rh not recorded)"
assert_not_contains "$T/out" "injection 一般"
pass "9999013's injections as of 2011-07-01: ソリタ-T3号輸液 + アドナ, rate, route, instructions"

expect_status 0 cv query --db "$db" --json --as-of 2011-07-20 patient 9999013
"$PY" - "$T/out" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["medications"] == []
assert [m["end"] for m in p["recent_medications"]] == ["2011-07-14", "2011-07-05", "2011-07-05",
                                                       "2011-07-01", "2011-07-01", "2011-07-01"]
PY
expect_status 0 cv query --db "$db" --json --as-of 2011-07-20 --recent-days 10 patient 9999013
"$PY" -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["recent_days"] == 10 and [m["end"] for m in p["recent_medications"]] == ["2011-07-14"], p' "$T/out"
expect_status 0 cv query --db "$db" --as-of 2011-09-01 patient 9999013
assert_contains "$T/out" "no orders on record in the last 30 days (to 2011-09-01)"
expect_status 2 cv query --db "$db" --recent-days 0 patient 9999013
expect_status 2 cv query --db "$db" --recent-days x patient 9999013
pass "medications: current, recently ended (--recent-days), and 'no orders' when both are empty"

expect_status 0 cv query --db "$db" patient 9999013
assert_contains "$T/out" "患者 太郎 (カンジャ タロウ)"
assert_contains "$T/out" "ペニシリン"
assert_contains "$T/out" "ダーゼン錠"
assert_contains "$T/out" "lab 生化学的検査"
expect_status 0 cv query --db "$db" --json patient 9999013
"$PY" -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["medications"] == [] and p["recent_medications"] == []' "$T/out"
pass "text summary; prescriptions of 2011 are not current today"

expect_status 0 cv query --db "$db" --json rejected
"$PY" - "$T/out" <<'PY'
import json, sys
r = {x["path"]: x["reason"] for x in json.load(open(sys.argv[1]))}
bad = "000/000/0000001/20000401/ADT-31/9999013_20110630_OMP-11_123456789012345_20110701113813225_01_1"
assert bad in r, r
assert "not ISO-2022-JP" in r[bad] and "does not match its folder" in r[bad], r[bad]
assert len(r) == 3 and all(r.values())
PY
pass "the 2-byte invalid file is rejected with a reason"

for q in 9999013 99990 患者 "患者 太郎" カンジャタロウ "カンジャ タロウ" "ｶﾝｼﾞｬ ﾀﾛｳ" "ｶﾝｼﾞｬﾀﾛｳ" かんじゃ 1948-04-05 19480405; do
    expect_status 0 cv query --db "$db" --json search "$q"
    "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["id"] for x in r]==["9999013"], r' "$T/out" ||
        fail "search '$q'"
done
expect_status 0 cv query --db "$db" --json search 山田
assert_contains "$T/out" "\[\]"
pass "search by ID prefix, kanji, kana (full/half width, with/without space), birth date"

expect_status 1 cv query --db "$db" patient 1234567
assert_contains "$T/err" "no patient '1234567'"
expect_status 0 cv query --db "$db" --json ward
assert_contains "$T/out" "\[\]"
expect_status 0 cv query --db "$db" --json info
assert_contains "$T/out" '"patients":1'
expect_status 2 cv query --db "$db" frobnicate
expect_status 2 cv query patient 9999013
expect_status 2 cv index --source "$T/src"
expect_status 1 cv index --source "$T/nonexistent" --db "$T/other.db"
assert_contains "$T/err" "cannot open the source"
expect_status 1 cv query --db "$T/nonexistent.db" info
pass "exit codes and reasons"
