#!/usr/bin/python3
# synth_check.py: an independent check of a `chartvault synth` tree and its manifest.
# It reads every file the way a reader would (decode ISO-2022-JP, then split), checks the
# SS-MIX2 rules (7-field names that agree with their folders, MSH-9 per data type, the care
# date in its field, file times = event times), recomputes docs/CURRENT-STATE.md from the
# files alone and compares it with the manifest key by key, and checks the census.
# usage: synth_check.py ROOT MANIFEST [--min-occupancy 0.80 --max-occupancy 0.95]
import datetime
import json
import unicodedata
import os
import re
import sys

TYPES = {  # data type folder -> allowed MSH-9 (type^event)
    "ADT-00": {"ADT^A08", "ADT^A23"}, "ADT-12": {"ADT^A04"}, "ADT-22": {"ADT^A01", "ADT^A11"},
    "ADT-31": {"ADT^A21", "ADT^A52"}, "ADT-32": {"ADT^A22", "ADT^A53"},
    "ADT-42": {"ADT^A02", "ADT^A12"}, "ADT-52": {"ADT^A03", "ADT^A13"}, "ADT-61": {"ADT^A60"},
    "PPR-01": {"PPR^ZD1"}, "OMD": {"OMD^O03"}, "OMP-01": {"RDE^O11"}, "OMP-02": {"RDE^O11"},
    "OML-01": {"OML^O33"}, "OML-11": {"OUL^R22"}, "OMG-01": {"OMG^O19"}, "OMG-11": {"OMI^Z23"},
}
CARE_DATE = {  # MSH-9 -> (segment, field) holding the care date (SSMIX_CAREDATE.json)
    "ADT^A04": ("PV1", 44), "ADT^A01": ("PV1", 44), "ADT^A11": ("PV1", 44),
    "ADT^A21": ("EVN", 6), "ADT^A22": ("EVN", 6), "ADT^A02": ("EVN", 6), "ADT^A12": ("EVN", 6),
    "ADT^A03": ("PV1", 45), "ADT^A13": ("PV1", 45), "OMD^O03": ("ORC", 9),
    "RDE^O11": ("ORC", 9), "OML^O33": ("ORC", 9), "OUL^R22": ("SPM", 17),
    "OMG^O19": ("ORC", 9), "OMI^Z23": ("OBR", 7),
}
NO_DATE = {"ADT^A08", "ADT^A23", "ADT^A60", "PPR^ZD1"}
JST = datetime.timezone(datetime.timedelta(hours=9))
errors = []


def err(msg):
    errors.append(msg)
    if len(errors) > 40:
        report()


def report():
    for e in errors[:40]:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)


class Msg:
    def __init__(self, text):
        self.segs = [s for s in re.split(r"\r\n|\r|\n", text.rstrip("\x1c\r\n")) if s]

    def all(self, name):
        return [s.split("|") for s in self.segs if s.startswith(name + "|")]

    def first(self, name):
        a = self.all(name)
        return a[0] if a else None


def field(seg, n):
    if seg is None:
        return ""
    if seg[0] == "MSH":
        n -= 1
    return seg[n] if n < len(seg) else ""


def comp(value, n, sep="^"):
    parts = value.split(sep)
    return parts[n - 1] if n <= len(parts) else ""


def iso_date(v):
    return f"{v[0:4]}-{v[4:6]}-{v[6:8]}" if len(v) >= 8 else None


def iso_min(v):
    v = v.split(".")[0]
    if len(v) < 12:
        v = (v + "0000")[:12]
    return f"{v[0:4]}-{v[4:6]}-{v[6:8]}T{v[8:10]}:{v[10:12]}"


def or_none(v):
    return v if v != "" else None


def check_bytes(path, raw, stats):
    # a kanji run whose bytes hold an HL7 delimiter (the trap of SSMIX2.md)
    for run in re.findall(rb"\x1b\$B(.*?)\x1b\(B", raw, re.S):
        if any(b in run for b in b"|^~\\&"):
            stats["delimiter_in_kanji"] += 1
            break
    if raw.endswith(b"\r\x1c"):
        stats["ends_cr_fs"] += 1
    if b"\r\n" in raw:
        stats["crlf"] += 1
    if re.search(rb"\|\d{14}\.\d{4}\|", raw[:300]):
        stats["msh7_4digit_fraction"] += 1


def check_file(root, rel, st, stats):
    parts = rel.split("/")
    if len(parts) != 6:
        return err(f"{rel}: not <ID3>/<ID3>/<ID>/<date>/<type>/<file>")
    a, b, pid, date, dtype, name = parts
    if a != pid[0:3] or b != pid[3:6]:
        return err(f"{rel}: folders do not match the ID")
    f = name.split("_")
    if len(f) != 7:
        return err(f"{rel}: name has {len(f)} fields, not 7")
    if f[0] != pid or f[1] != date or f[2] != dtype:
        return err(f"{rel}: name disagrees with its folders")
    if not re.fullmatch(r"[0-9A-Za-z]{1,15}", f[3]) or not re.fullmatch(r"\d{17}", f[4]):
        return err(f"{rel}: bad order number or event time")
    if not re.fullmatch(r"-|[0-9A-Za-z]{2,3}", f[5]) or f[6] not in "012":
        return err(f"{rel}: bad department or condition flag")
    if date != "-" and not re.fullmatch(r"\d{8}", date):
        return err(f"{rel}: bad care date folder")
    if dtype not in TYPES:
        return err(f"{rel}: unknown data type {dtype}")
    raw = open(os.path.join(root, rel), "rb").read()
    if not 300 <= len(raw) <= 16384:
        err(f"{rel}: size {len(raw)} outside 300..16384")
    try:
        text = raw.decode("iso2022_jp")
    except UnicodeDecodeError as e:
        return err(f"{rel}: not ISO-2022-JP: {e}")
    if not text.startswith("MSH|"):
        return err(f"{rel}: does not start with MSH")
    check_bytes(rel, raw, stats)
    m = Msg(text)
    msh9 = "^".join(field(m.first("MSH"), 9).split("^")[:2])
    if msh9 not in TYPES[dtype]:
        err(f"{rel}: MSH-9 {msh9} in folder {dtype}")
    if msh9 in NO_DATE:
        if date != "-":
            err(f"{rel}: {msh9} must be under '-'")
    else:
        sname, n = CARE_DATE[msh9]
        care = field(m.first(sname), n)[:8]
        if care != date:
            err(f"{rel}: care date {sname}-{n} '{care}' but folder {date}")
    ev = f[4]
    want = datetime.datetime(int(ev[0:4]), int(ev[4:6]), int(ev[6:8]), int(ev[8:10]),
                             int(ev[10:12]), int(ev[12:14]), int(ev[14:17]) * 1000, JST)
    if abs(st.st_mtime - want.timestamp()) > 0.002:
        err(f"{rel}: mtime {st.st_mtime} is not the event time {ev}")
    stats["flag" + f[6]] += 1
    stats["pid3_mismatch"] += comp(field(m.first("PID"), 3), 1) != pid
    return {"pid": pid, "type": dtype, "flag": f[6], "event": ev, "msg": m, "msh9": msh9,
            "name": name}


# ---- CURRENT-STATE, recomputed from the files ----------------------------------------------

def xpn(rep_list, kind):
    """The repetition of name type `kind` (XPN.8 I/P; some lab systems put it in XPN.7)."""
    reps = rep_list.split("~")
    for r in reps:
        if comp(r, 8) == kind or (not comp(r, 8) and comp(r, 7) == kind):
            return r
    return reps[0] if kind == "I" else None


def xtn_numbers(value):
    return [comp(r, 12) for r in value.split("~") if comp(r, 12)]


def newest(files, dtype):
    cur = [f for f in files if f["type"] == dtype and f["flag"] == "1"]
    return max(cur, key=lambda f: f["event"]) if cur else None


def blood(obx, family, table):
    """The first OBX of a JLAC10 family (5H010 ABO, 5H020 Rh), its value read by `table`."""
    for code, value in obx:
        if code.startswith(family):
            text = unicodedata.normalize("NFKC", comp(value, 2) or comp(value, 1))
            for k, v in table.items():
                if text in v:
                    return k
            raise SystemExit(f"blood type value {value!r} is none the reader knows")
    return None


ABO = {"A": ("A", "A型"), "B": ("B", "B型"), "O": ("O", "O型"), "AB": ("AB", "AB型")}
RH = {"+": ("+", "Rh(D)陽性", "Rh(+)", "陽性", "POS"), "-": ("-", "Rh(D)陰性", "Rh(−)", "陰性", "NEG")}


def names(p, pid):
    name, kana = xpn(field(pid, 5), "I"), xpn(field(pid, 5), "P")
    p["name"] = {"family": comp(name, 1), "given": comp(name, 2)}
    p["kana"] = {"family": comp(kana, 1), "given": comp(kana, 2)} if kana else None
    p["birth_date"] = iso_date(field(pid, 7))
    p["sex"] = field(pid, 8)


def pid_demographics(p, files):
    """No current ADT-00: the newest PID of any current message, and nothing ADT-00 holds."""
    cur = [f for f in files if f["flag"] == "1"]
    p.update({"name": None, "kana": None, "demographics_source": None, "birth_date": None,
              "sex": None, "blood_type": None, "rh": None, "height_cm": None,
              "weight_kg": None, "postcode": None, "address": None, "phones": [],
              "contacts": []})
    if cur:
        names(p, max(cur, key=lambda f: f["event"])["msg"].first("PID"))
        p["demographics_source"] = "PID"


def demographics(p, a08):
    pid = a08["msg"].first("PID")
    names(p, pid)
    p["demographics_source"] = "ADT-00"
    codes = [(comp(field(o, 3), 1), field(o, 5)) for o in a08["msg"].all("OBX")]
    obx = dict(codes)
    p["blood_type"] = blood(codes, "5H010", ABO)
    p["rh"] = blood(codes, "5H020", RH)
    p["height_cm"] = float(obx["9N001000000000001"]) if "9N001000000000001" in obx else None
    p["weight_kg"] = float(obx["9N006000000000001"]) if "9N006000000000001" in obx else None
    xad = field(pid, 11).split("~")[0]
    p["postcode"] = or_none(comp(xad, 5))
    p["address"] = or_none(comp(xad, 8) or comp(xad, 1))
    p["phones"] = xtn_numbers(field(pid, 13)) + xtn_numbers(field(pid, 14))
    p["contacts"] = []
    for nk in a08["msg"].all("NK1"):
        n = xpn(field(nk, 2), "I")
        p["contacts"].append({"name": comp(n, 1) + " " + comp(n, 2),
                              "relationship": or_none(comp(field(nk, 3), 2)),
                              "phones": xtn_numbers(field(nk, 5)) + xtn_numbers(field(nk, 6))})


def allergies(p, files, a08):
    cur = {}
    for al in (a08["msg"].all("AL1") if a08 else []):
        cur[comp(field(al, 3), 1)] = (comp(field(al, 2), 1), comp(field(al, 3), 2),
                                      or_none(comp(field(al, 4), 1)), or_none(field(al, 5)))
    for f in sorted((f for f in files if f["type"] == "ADT-61" and f["flag"] == "1"),
                    key=lambda f: f["event"]):
        for iam in f["msg"].all("IAM"):
            code, action = comp(field(iam, 3), 1), comp(field(iam, 6), 1)
            if action == "D":
                cur.pop(code, None)
            else:
                cur[code] = (comp(field(iam, 2), 1), comp(field(iam, 3), 2),
                             or_none(comp(field(iam, 4), 1)), or_none(field(iam, 5)))
    rows = sorted(cur.values(), key=lambda a: (a[0], a[1]))
    p["allergy_status"] = "recorded" if rows else "none_recorded"
    p["allergies"] = [{"type": a[0], "allergen": a[1], "severity": a[2], "reaction": a[3]}
                      for a in rows]


def diagnoses(p, files):
    """The newest current PPR-01's active rows; then rows of older current PPR-01 files whose
    diagnosis (PRB-3.1) no newer file holds, each from the newest file that does."""
    pprs = sorted((f for f in files if f["type"] == "PPR-01" and f["flag"] == "1"),
                  key=lambda f: f["event"], reverse=True)
    seen, lists = set(), ([], [])
    for n, ppr in enumerate(pprs):
        held = set()
        for prb in ppr["msg"].all("PRB"):
            code = comp(field(prb, 3), 1)
            held.add(code)
            if code in seen or field(prb, 9) or comp(field(prb, 14), 1) in ("F", "D"):
                continue  # held by a newer file, or resolved
            conf = or_none(comp(field(prb, 13), 1))
            lists[n > 0].append({"name": comp(field(prb, 3), 2),
                                 "icd10": comp(field(prb, 10), 1),
                                 "onset": iso_date(field(prb, 16)),
                                 "main": comp(field(prb, 18), 1) == "1",
                                 "suspected": conf == "1", "confirmation": conf,
                                 "start": iso_date(field(prb, 7)),
                                 "end": iso_date(field(prb, 9))})
        seen |= held
    p["diagnoses"] = sorted(lists[0], key=lambda d: (d["onset"], d["icd10"]))
    p["older_diagnoses"] = sorted(lists[1], key=lambda d: (d["onset"], d["icd10"]))


def location(p, files):
    moves = []
    for f in files:
        if f["flag"] != "1" or f["type"] not in ("ADT-22", "ADT-42", "ADT-31", "ADT-32",
                                                 "ADT-52"):
            continue
        m = f["msg"]
        pv1, evn = m.first("PV1"), m.first("EVN")
        t = field(evn, 6) or (field(pv1, 45) if f["type"] == "ADT-52" else field(pv1, 44))
        moves.append((iso_min(t) if t else iso_min(f["event"]), f["event"], f))
    p["location"], p["attending"] = None, None
    for _, _, f in sorted(moves, key=lambda x: (x[0], x[1])):
        pv1 = f["msg"].first("PV1")
        if f["type"] == "ADT-52":
            p["location"], p["attending"] = None, None
            continue
        loc, doc = field(pv1, 3), field(pv1, 7)
        p["location"] = {"ward": comp(loc, 1), "room": comp(loc, 2), "bed": comp(loc, 3),
                         "admitted": iso_min(field(pv1, 44))}
        p["attending"] = comp(doc, 2) + " " + comp(doc, 3) if doc else None


def cwe_text(value):
    return or_none(comp(value, 2) or comp(value, 1))


def medications(p, files, end, recent_days=30):
    since = (datetime.date.fromisoformat(end) - datetime.timedelta(recent_days)).isoformat()
    until = (datetime.date.fromisoformat(end) + datetime.timedelta(recent_days)).isoformat()
    current, recent, upcoming = [], [], []
    for f in files:
        if f["flag"] != "1" or f["type"] not in ("OMP-01", "OMP-02"):
            continue
        segs = [s.split("|") for s in f["msg"].segs]
        for i, s in enumerate(segs):
            if s[0] != "RXE":
                continue
            after = []
            for t in segs[i + 1:]:
                if t[0] in ("RXE", "ORC"):
                    break
                after.append(t)
            tq1 = next((t for t in after if t[0] == "TQ1"), None)
            rxr = next((t for t in after if t[0] == "RXR"), None)
            rxc = [t for t in after if t[0] == "RXC"]
            rxc = [t for t in rxc if field(t, 1) == "B"] + [t for t in rxc if field(t, 1) != "B"]
            start = iso_date(field(tq1, 7))
            days = comp(field(tq1, 6), 1)
            days = int(days) if days else None
            injection = f["type"] == "OMP-02"
            if not injection:
                last = (datetime.date.fromisoformat(start) + datetime.timedelta(days - 1)
                        ).isoformat() if days else start
            else:
                last = iso_date(field(tq1, 8)) or start
            if not start or not last or start > until or last < since:
                continue
            usage = comp(comp(field(tq1, 3), 1), 2, "&")
            rate = field(s, 23)
            m = {"kind": "injection" if injection else "prescription",
                 "drug": " + ".join(comp(field(c, 2), 2) for c in rxc) if rxc
                 else comp(field(s, 2), 2),
                 "dose": field(s, 3), "unit": or_none(comp(field(s, 5), 2)),
                 "usage": or_none(usage), "start": start, "days": days, "end": last,
                 "start_time": iso_min(field(tq1, 7)) if injection else None,
                 "end_time": iso_min(field(tq1, 8)) if injection else None,
                 "route": cwe_text(field(rxr, 1)) if rxr else None,
                 "rate": f"{rate} {comp(field(s, 24), 1)}" if rate else None,
                 "instructions": cwe_text(field(s, 7)),
                 "order_type": cwe_text(field(s, 2)) if rxc else None,
                 "components": [{"type": field(c, 1), "name": comp(field(c, 2), 2),
                                 "code": comp(field(c, 2), 1), "amount": field(c, 3),
                                 "unit": cwe_text(field(c, 4))} for c in rxc]}
            (upcoming if start > end else current if end <= last else recent).append(m)
    key = lambda m: (m["kind"], m["start"], m["start_time"] or "", m["drug"])
    p["medications"] = sorted(current, key=key)
    recent.sort(key=key)
    p["recent_medications"] = sorted(recent, key=lambda m: m["end"], reverse=True)
    p["upcoming_medications"] = sorted(upcoming, key=key)
    p["recent_days"] = recent_days


def grouped(obxs):
    """An OBR's results keep OBX-4 when it groups them: a nested sub-ID, or a test code
    repeated under different sub-IDs."""
    subs = [field(o, 4) for o in obxs]
    if any(re.fullmatch(r"[^.\-_]+[.\-_].+", s) for s in subs):
        return True
    codes = {}
    for o, s in zip(obxs, subs):
        codes.setdefault(comp(field(o, 3), 1), set()).add(s)
    return any(len(v) > 1 for v in codes.values())


def obr_groups(msg):
    """(OBR, SPM, [OBX]) for each OBR of a message, in order."""
    out, obr, spm = [], None, None
    for s in msg.segs:
        seg = s.split("|")
        if seg[0] == "SPM":
            spm = seg
        elif seg[0] == "OBR":
            obr = seg
            out.append((obr, spm, []))
        elif seg[0] == "OBX" and out:
            out[-1][2].append(seg)
    return out


def labs(p, files):
    best, reports = {}, []
    for f in files:
        if f["flag"] != "1" or f["type"] != "OML-11":
            continue
        for obr, spm, obxs in obr_groups(f["msg"]):
            if grouped(obxs):
                reports.append((f, obr, spm, obxs))
                continue
            for o in obxs:
                code, t = comp(field(o, 3), 1), iso_min(field(o, 14))
                key = (t, f["event"])
                if code in best and best[code][0] >= key:
                    continue
                best[code] = (key, {"code": code, "name": comp(field(o, 3), 2),
                                    "value": field(o, 5), "unit": or_none(comp(field(o, 6), 1)),
                                    "range": or_none(field(o, 7)), "flag": or_none(field(o, 8)),
                                    "time": t})
    p["labs"] = [best[c][1] for c in sorted(best)]
    cultures(p, reports)


def culture_report(f, obr, spm, obxs):
    res = lambda o: {"sub_id": or_none(field(o, 4)), "code": comp(field(o, 3), 1),
                     "name": comp(field(o, 3), 2), "value": comp(field(o, 5), 2)
                     if field(o, 2) == "CWE" else field(o, 5),
                     "unit": or_none(comp(field(o, 6), 1)), "flag": or_none(field(o, 8))}
    c = {"test": comp(field(obr, 4), 2), "code": comp(field(obr, 4), 1),
         "specimen": comp(field(spm, 4), 2), "time": max(iso_min(field(o, 14)) for o in obxs),
         "results": [], "organisms": []}
    groups = {}
    for o in obxs:
        sub = field(o, 4)
        if not sub:
            c["results"].append(res(o))
            continue
        head = re.split(r"[.\-_]", sub)[0]
        if head not in groups:
            groups[head] = {"group": head, "organism": None, "details": [],
                            "susceptibility": [], "named": False}
            c["organisms"].append(groups[head])
        g = groups[head]
        if sub != head:
            g["susceptibility"].append(res(o))
        elif not g["named"]:
            g["named"], g["organism"] = True, res(o)["value"]
        else:
            g["details"].append(res(o))
    for g in c["organisms"]:
        del g["named"]
    return c


def cultures(p, reports):
    by_test = {}
    for f, obr, spm, obxs in reports:
        c = culture_report(f, obr, spm, obxs)
        by_test.setdefault((c["code"], c["specimen"]), []).append((c["time"], f["event"], c))
    out = []
    for reps in by_test.values():
        reps.sort(key=lambda r: (r[0], r[1]), reverse=True)
        latest = reps[0][2]
        latest["earlier"] = [{"time": r[2]["time"],
                              "organisms": [g["organism"] for g in r[2]["organisms"]]}
                             for r in reps[1:4]]
        out.append(latest)
    out.sort(key=lambda c: (c["code"], c["specimen"]))
    out.sort(key=lambda c: c["time"], reverse=True)
    p["cultures"] = out


def diet_reports(p, files):
    diets, reports = [], []
    for f in files:
        if f["flag"] != "1":
            continue
        if f["type"] == "OMD":
            tq1 = f["msg"].first("TQ1")
            diets.append((field(tq1, 7), f["event"], {"text": field(f["msg"].first("ODS"), 4),
                                                      "start": iso_date(field(tq1, 7))}))
        if f["type"] == "OMG-11":
            for o in f["msg"].all("OBX"):
                if field(o, 2) == "TX":
                    t = field(o, 14) or field(f["msg"].first("OBR"), 7)
                    reports.append((iso_min(t), f["event"],
                                    {"kind": "radiology", "text": field(o, 5),
                                     "time": iso_min(t)}))
    p["diet"] = [d[2] for d in sorted(diets, key=lambda d: (d[0], d[1]), reverse=True)]
    p["reports"] = [r[2] for r in sorted(reports, key=lambda r: (r[0], r[1]), reverse=True)]


def patient_state(pid, files, end):
    p = {"id": pid}
    a08 = newest(files, "ADT-00")
    if a08:
        demographics(p, a08)
    else:
        pid_demographics(p, files)
    allergies(p, files, a08)
    diagnoses(p, files)
    location(p, files)
    medications(p, files, end)
    labs(p, files)
    diet_reports(p, files)
    p["pid3_mismatch"] = any(comp(field(f["msg"].first("PID"), 3), 1) != pid
                             for f in files if f["flag"] == "1")
    return p


def compare(want, got, where):
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got:
                err(f"{where}: manifest lacks '{k}'")
            elif k not in want:
                err(f"{where}: manifest has unexpected '{k}'")
            else:
                compare(want[k], got[k], f"{where}.{k}")
    elif isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            err(f"{where}: {len(got)} entries in the manifest, {len(want)} from the files:"
                f" {got!r} vs {want!r}"[:600])
        for i, (w, g) in enumerate(zip(want, got)):
            compare(w, g, f"{where}[{i}]")
    elif want != got:
        err(f"{where}: manifest says {got!r}, the files say {want!r}")


def main():
    root, manifest_path = sys.argv[1], sys.argv[2]
    lo = float(sys.argv[sys.argv.index("--min-occupancy") + 1]) if "--min-occupancy" in sys.argv else 0.80
    hi = float(sys.argv[sys.argv.index("--max-occupancy") + 1]) if "--max-occupancy" in sys.argv else 0.95
    manifest = json.load(open(manifest_path, encoding="utf-8"))
    end = manifest["end_date"]
    stats = {k: 0 for k in ("flag0", "flag1", "flag2", "delimiter_in_kanji", "ends_cr_fs",
                            "crlf", "msh7_4digit_fraction", "pid3_mismatch")}
    by_patient, nbytes = {}, 0
    for dirpath, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            full = os.path.join(dirpath, n)
            st = os.stat(full)
            nbytes += st.st_size
            f = check_file(root, os.path.relpath(full, root), st, stats)
            if f:
                by_patient.setdefault(f["pid"], []).append(f)
    nfiles = sum(len(v) for v in by_patient.values())
    if nfiles != manifest["files"] or nbytes != manifest["bytes"]:
        err(f"manifest counts {manifest['files']} files / {manifest['bytes']} bytes,"
            f" the tree has {nfiles} / {nbytes}")
    ids = [p["id"] for p in manifest["patients"]]
    if ids != sorted(ids) or set(ids) != set(by_patient):
        err("manifest patients are not the tree's patients in ID order")
    for mp in manifest["patients"]:
        compare(patient_state(mp["id"], by_patient.get(mp["id"], []), end), mp, mp["id"])
    # census: exactly the located patients, no bed twice, a real hospital's occupancy
    seen, beds, occupied = set(), 0, 0
    located = {p["id"]: p["location"] for p in manifest["patients"] if p["location"]}
    for w in manifest["census"]:
        beds += w["beds"]
        occupied += w["occupied"]
        if w["occupied"] != len(w["patients"]):
            err(f"ward {w['ward']}: occupied {w['occupied']} but {len(w['patients'])} listed")
        for c in w["patients"]:
            key = (w["ward"], c["room"], c["bed"])
            if key in seen:
                err(f"bed {key} is double-booked")
            seen.add(key)
            loc = located.pop(c["id"], None)
            if not loc or (loc["ward"], loc["room"], loc["bed"]) != key:
                err(f"census puts {c['id']} in {key}, the patient's location is {loc}")
    if located:
        err(f"{len(located)} located patients missing from the census")
    if beds and not lo <= occupied / beds <= hi:
        err(f"occupancy {occupied}/{beds} = {occupied / beds:.3f} outside {lo}..{hi}")
    for k in ("flag0", "flag2", "delimiter_in_kanji", "ends_cr_fs", "msh7_4digit_fraction"):
        if not stats[k]:
            err(f"no file shows {k}")
    if len(ids) >= 50 and not stats["pid3_mismatch"]:
        err("no file's PID-3 differs from its folder")
    if errors:
        report()
    print(f"ok: {nfiles} files, {len(ids)} patients, occupancy {occupied}/{beds}, {stats}")


main()
