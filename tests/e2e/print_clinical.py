#!/usr/bin/python3
# print_clinical.py: what issue 19 made right, read back from the ward packs with pdftotext and
# compared with the synth manifest patient by patient (used by print_packs.sh).
#
#   print_clinical.py MANIFEST PACKS_DIR AS_OF RECENT_DAYS [--want FORM,...]
#
# The packs were printed with --as-of AS_OF --recent-days RECENT_DAYS. The manifest knows
# every order that ends in the 30 days before its end date or later, and every one starting
# in the 30 days after it, so the current, starting-soon and recently-ended groups of any
# as-of date D with D - N >= end - 30 and D + N <= end + 30 follow from it (the rules of
# docs/CURRENT-STATE.md). --want names forms that must occur among the inpatients, so that a
# change of the generator cannot turn a check into one that checks nothing.
import datetime
import json
import re
import subprocess
import sys

UNCONFIRMED = "【本人未確認】患者登録（ADT-00）なし"
SUSPECTED = "【疑い】"
H_KIN, H_DX, H_OLD = "緊急連絡先nextofkin", "診断名diagnoses", "以前の病名ファイルにのみ記載"
H_CUR, H_UP, H_REC = "投薬・注射（", "これから開始する処方・注射（", "最近終了した処方・注射（"
H_LAB, H_CUL, H_DIET = "検査（最新）latestlabs", "細菌検査（培養・感受性）", "食事diet"
HEADINGS = (H_KIN, H_DX, H_OLD, H_CUR, H_UP, H_REC, H_LAB, H_CUL, H_DIET)
# table headers repeated at the top of a page when a table goes on: not part of any row
TABLE_HEADS = ("区分薬剤（注射は基剤から全成分）用量用法・経路・速度・指示期間",
               "病名ICD-10発症日開始日", "検体・検査・日時菌・菌量薬剤感受性MIC判定",
               "検査値H/L基準値日時", "氏名続柄電話", "食事開始")
LABEL_END = ("アレルギー: 未確認", "⚠ アレルギーあり")


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def norm(s):
    """Text as pdftotext -raw gives it back, joined: no white space at all."""
    return re.sub(r"\s+", "", s or "")


def date(s):
    return datetime.date.fromisoformat(s[:10])


def file_name(ward):
    out = "ward-"
    for b in ward.encode():
        c = chr(b)
        out += c if (c.isascii() and c.isalnum()) or c == "-" else "_%02X" % b
    return out + ".pdf"


def page_bodies(pdf):
    """Each page's (title, footer, body lines): the frame (facility, title, as of, not valid
    after, the footer with 'i / n') is drawn first, so its lines come first."""
    raw = subprocess.run(["pdftotext", "-raw", pdf, "-"], check=True,
                         capture_output=True).stdout.decode()
    out = []
    for page in raw.split("\f")[:-1]:
        lines = page.split("\n")
        end = next((i for i, l in enumerate(lines) if re.search(r"\b\d+ / \d+$", l)), None)
        if end is None:
            fail(f"{pdf}: a page without 'i / n'")
        out.append((lines[1], lines[end], lines[end + 1:]))
    return out


def body_text(lines):
    t = norm("".join(lines))
    for h in TABLE_HEADS:
        t = t.replace(h, "")
    return t


def segment(text, heading):
    i = text.find(heading)
    if i < 0:
        return None
    ends = [j for j in (text.find(h, i + len(heading)) for h in HEADINGS) if j > i]
    return text[i:min(ends) if ends else len(text)]


def blood(p):
    bt, rh = p["blood_type"], p["rh"]
    if bt is None and rh is None:
        return "血液型未登録"
    if rh is None:
        return f"血液型{bt}（Rh未登録）"
    return f"血液型{bt or '未登録'}Rh{rh}"


def med_needles(m):
    """What must be printed of one order: each drug (an injection's every RXC component with
    its amount and unit, the base marked), then route, rate and instructions."""
    if m["components"]:
        drugs = [norm(c["name"] or c["code"]) + norm((c["amount"] or "") + (c["unit"] or ""))
                 + ("（基剤）" if c["type"] == "B" else "") for c in m["components"]]
    else:
        drugs = [norm(m["drug"])]
    return drugs + [norm(m[k]) for k in ("route", "rate", "instructions") if m[k]]


def groups(p, d, n):
    """Current, starting-soon and recently-ended orders on day d with n recent days."""
    orders = p["medications"] + p["recent_medications"] + p["upcoming_medications"]
    cur, up, rec = [], [], []
    for m in orders:
        s, e = date(m["start"]), date(m["end"])
        if s <= d <= e:
            cur.append(m)
        elif d < s <= d + datetime.timedelta(days=n):
            up.append(m)
        elif e < d <= e + datetime.timedelta(days=n):
            rec.append(m)
    return cur, up, rec


def age_on(birth, d):
    b = date(birth)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def check_meds(pid, text, d, n, p, seen):
    cur, up, rec = groups(p, d, n)
    if (d, n) == (date(p["_end"]), 30) and (len(cur), len(up), len(rec)) != (
            len(p["medications"]), len(p["upcoming_medications"]), len(p["recent_medications"])):
        fail(f"patient {pid}: the groups recomputed on the end date differ from the manifest's")
    none = f"過去{n}日間に処方・注射の記録はありません"
    if not (cur or up or rec):
        seen["none"] += 1
        if none not in text:
            fail(f"patient {pid}: no orders within {n} days of {d} and no '{none}'")
        if segment(text, H_REC) or segment(text, H_UP):
            fail(f"patient {pid}: no orders at all, yet ended or upcoming groups are printed")
        return
    if none in text:
        fail(f"patient {pid}: '{none}' printed though orders are on record")
    want = ((H_CUR, f"投薬・注射（{d}現在）", cur), (H_UP, f"（{n}日以内）", up),
            (H_REC, f"（過去{n}日間）", rec))
    for heading, title, meds in want:
        seg = segment(text, heading)
        if heading == H_UP and not meds:
            if seg:
                fail(f"patient {pid}: a 'starting soon' group with nothing starting")
            continue
        if seg is None:
            fail(f"patient {pid}: no group '{heading}'")
        if title not in seg[:len(heading) + len(title) + 8]:
            fail(f"patient {pid}: group '{heading}' is not titled '{title}': {seg[:60]}")
        if heading == H_REC and not meds and f"過去{n}日間に終了したものはありません" not in seg:
            fail(f"patient {pid}: no ended orders and the group does not say so")
        for m in meds:
            for needle in med_needles(m):
                if needle not in seg:
                    fail(f"patient {pid}: '{needle}' of {m['kind']} {m['drug']} "
                         f"({m['start']}..{m['end']}) not under '{heading}'")
            if m["components"]:
                seen["components"] += 1
                # the drug once: not the names joined, not the kind of order (RXE-2)
                if len(m["components"]) > 1 and norm(m["drug"]) in text:
                    fail(f"patient {pid}: the joined names '{m['drug']}' are printed")
                if m["order_type"] and m["order_type"] in seg:
                    fail(f"patient {pid}: the kind of order '{m['order_type']}' is printed")
    seen["current"] += bool(cur)
    seen["upcoming"] += bool(up)
    seen["recent"] += bool(rec)


def check_diagnoses(pid, text, p, seen):
    for heading, dxs in ((H_DX, p["diagnoses"]), (H_OLD, p["older_diagnoses"])):
        seg = segment(text, heading)
        if heading == H_OLD and not dxs:
            if seg:
                fail(f"patient {pid}: an older-diagnoses list with none in the manifest")
            continue
        if seg is None:
            fail(f"patient {pid}: no '{heading}'")
        seen["older"] += heading == H_OLD
        for dx in dxs:
            name = norm(dx["name"])
            same = [x for x in dxs if norm(x["name"]) == name]
            needle = (SUSPECTED if dx["suspected"] else "") + name + ("★主病名" if dx["main"] else "")
            if needle not in seg:
                fail(f"patient {pid}: '{needle}' not under '{heading}'")
            if not any(x["suspected"] for x in same) and SUSPECTED + name in seg:
                fail(f"patient {pid}: '{dx['name']}' is marked suspected and is not")
            if not any(x["main"] for x in same) and name + "★主病名" in seg:
                fail(f"patient {pid}: '{dx['name']}' is marked main and is not")
            seen["suspected"] += dx["suspected"]


def check_cultures(pid, text, p, seen):
    seg = segment(text, H_CUL)
    if not p["cultures"]:
        if seg:
            fail(f"patient {pid}: a cultures section with no culture in the manifest")
        return
    if seg is None:
        fail(f"patient {pid}: cultures in the manifest, none printed")
    seen["cultures"] += 1
    for c in p["cultures"]:
        seen["organisms"] += len(c["organisms"]) > 1
        needles = [norm(c["specimen"]), norm(c["test"])]
        for o in c["organisms"]:
            needles.append(norm(f"{o['group']}) {o['organism'] or '-'}"))
            needles += [norm(x["name"] or x["code"]) + norm(x["value"]) + norm(x["unit"])
                        for x in o["details"]]
            needles += [norm(x["name"] or x["code"]) + norm(x["value"]) + norm(x["unit"])
                        + norm(x["flag"] or "-") for x in o["susceptibility"]]
        needles += [norm(v) for e in c["earlier"] for v in e["organisms"] if v]
        for needle in needles:
            if needle not in seg:
                fail(f"patient {pid}: culture {c['test']} of {c['specimen']}: '{needle}' missing")


def label_blocks(pages):
    blocks, cur = [], []
    for title, _, lines in pages:
        if "wristband labels" not in title:
            continue
        for line in lines:
            cur.append(line)
            if line.strip() in LABEL_END:
                blocks.append(cur)
                cur = []
    return blocks


def main():
    args = sys.argv[1:]
    want = []
    if "--want" in args:
        i = args.index("--want")
        want = args[i + 1].split(",")
        args = args[:i] + args[i + 2:]
    manifest, packs, as_of, n = args[0], args[1], date(args[2]), int(args[3])
    m = json.load(open(manifest))
    end = date(m["end_date"])
    if as_of - datetime.timedelta(days=n) < end - datetime.timedelta(days=30) or \
            as_of + datetime.timedelta(days=n) > end + datetime.timedelta(days=30):
        fail(f"as of {as_of} with {n} days is outside what the manifest knows")
    patients = {p["id"]: dict(p, _end=m["end_date"]) for p in m["patients"]}
    seen = dict.fromkeys(("unconfirmed", "no_blood", "suspected", "older", "components",
                          "current", "upcoming", "recent", "none", "cultures", "organisms"), 0)
    for ward in m["census"]:
        pdf = f"{packs}/{file_name(ward['ward'])}"
        pages = page_bodies(pdf)
        census = body_text([l for t, _, ls in pages if "入院患者一覧 census" in t for l in ls])
        labels = label_blocks(pages)
        for bed in ward["patients"]:
            pid = bed["id"]
            p = patients[pid]
            own = [ls for _, footer, ls in pages if footer.startswith(f"患者ID {pid} ")]
            if not own:
                fail(f"patient {pid}: no page with the footer '患者ID {pid}'")
            text = body_text([l for ls in own for l in ls])
            first = body_text(own[0])
            unconfirmed = p["demographics_source"] != "ADT-00"
            seen["unconfirmed"] += unconfirmed
            seen["no_blood"] += p["blood_type"] is None
            # blood type and the identity mark: patient page, census, wristband
            if blood(p) not in first:
                fail(f"patient {pid}: '{blood(p)}' not on the patient page")
            label = [b for b in labels if f"ID {pid}" in [x.strip() for x in b]]
            if len(label) != 1:
                fail(f"patient {pid}: {len(label)} wristband labels")
            label = norm("".join(label[0]))
            if blood(p) not in label:
                fail(f"patient {pid}: '{blood(p)}' not on the wristband: {label}")
            for where, txt in (("patient page", first), ("wristband", label),
                               ("census", census[census.find(pid):census.find(pid) + 80])):
                if (UNCONFIRMED in txt) != unconfirmed:
                    fail(f"patient {pid} ({p['demographics_source']}): the {where} "
                         f"{'lacks' if unconfirmed else 'has'} '{UNCONFIRMED}'")
            if p["birth_date"]:
                row = pid + (UNCONFIRMED if unconfirmed else "") + f"{age_on(p['birth_date'], as_of)}歳"
                if row not in census:
                    fail(f"patient {pid}: the census lacks '{row}'")
            check_diagnoses(pid, text, p, seen)
            check_meds(pid, text, as_of, n, p, seen)
            check_cultures(pid, text, p, seen)
    missing = [w for w in want if not seen.get(w)]
    if missing:
        fail(f"no inpatient with {missing} (seen {seen}): choose another seed")
    print(f"ok: as of {as_of}, {n} days: {seen}")


if __name__ == "__main__":
    main()
