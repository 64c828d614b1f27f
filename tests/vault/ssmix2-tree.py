#!/usr/bin/python3
# ssmix2-tree.py: SS-MIX2-shaped test trees for the vault's tests and benchmark, built from the
# public sample messages (tests/data/nho-ssmix2-samples) with per-patient names, IDs, dates and
# values, so that content repeats inside a patient and between patients the way real exports do.
# Until `chartvault synth` is available everywhere this is what the vault tests use; `mutate`
# applies the change the issue asks for: 1% new files and 0.5% `_1` -> `_2` renames (each with a
# new `_1`), and prints how many bytes of genuinely new content it wrote.
#
#   ssmix2-tree.py make OUT --patients N [--years Y] [--seed S]
#   ssmix2-tree.py mutate TREE [--new-percent 1] [--rename-percent 0.5] [--seed S]
#                         [--journal FILE]
#   ssmix2-tree.py revert TREE --journal FILE     (undo a journalled mutate)
#   ssmix2-tree.py rename TREE --percent 2 [--seed S]   (_1 -> _2, the same bytes, nothing else)
#   ssmix2-tree.py churn TREE --seed S    (a few random changes of every kind a snapshot
#                                          must express: files added, appended to, removed,
#                                          renamed; folders removed, new, turned into files and
#                                          back; symlinks; modes; folder times)
import argparse, datetime, json, os, random, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "data", "nho-ssmix2-samples", "sampleData", "999", "901", "9999013")
FAMILY = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本".split()
GIVEN = "太郎 花子 一郎 和子 健太 美咲 翔太 陽菜 大輔 由美 誠 恵子 拓也 直美 浩 裕子 修 幸子 進 洋子 亮 真由美 勇 久美子".split()
KANA = "サトウ スズキ タカハシ タナカ イトウ ワタナベ ヤマモト ナカムラ コバヤシ カトウ".split()
TOWNS = "静岡県静岡市葵区 東京都港区虎ノ門 大阪府大阪市北区 宮城県仙台市青葉区 奈良県宇陀市榛原 愛知県名古屋市中区".split()


def jis(text):
    return text.encode("iso2022_jp")


def load_templates():
    out = {}
    for root, _, files in os.walk(SAMPLES):
        for f in files:
            kind = f.split("_")[2]
            with open(os.path.join(root, f), "rb") as fh:
                out[kind] = fh.read()
    return out


def pid_segment(rng, pid):
    fam, giv = rng.choice(FAMILY), rng.choice(GIVEN)
    kana = rng.choice(KANA)
    birth = "%04d%02d%02d" % (rng.randint(1925, 2024), rng.randint(1, 12), rng.randint(1, 28))
    addr = jis(rng.choice(TOWNS) + "%d-%d-%d" % (rng.randint(1, 9), rng.randint(1, 30), rng.randint(1, 20)))
    phone = "0%d-%03d-%04d" % (rng.randint(3, 99), rng.randint(0, 999), rng.randint(0, 9999))
    return (b"PID|0001||" + pid.encode() + b"||" + jis(fam) + b"^" + jis(giv) + b"^^^^^L^I~" +
            jis(kana) + b"^^^^^^L^P||" + birth.encode() + b"|" + rng.choice([b"M", b"F"]) +
            b"|||^^^^" + b"%03d-%04d" % (rng.randint(100, 999), rng.randint(0, 9999)) + b"^JPN^H^" +
            addr + b"||^PRN^PH^^^^^^^^^" + phone.encode() + b"|||||||||||||||||||" +
            b"%d" % rng.randint(20100101000000, 20261231235959))


def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n)).encode()


def message(rng, template, pid, pidseg, date, stamp):
    msg = template.replace(b"9999013", pid.encode())
    msg = re.sub(rb"PID\|[^\r]*", lambda m: pidseg, msg, count=1)
    msg = re.sub(rb"2011\d{4}", date.encode(), msg)
    msg = re.sub(rb"(MSH\|[^|]*\|[^|]*\|[^|]*\|[^|]*\|[^|]*\|)([^|]*)", lambda m: m.group(1) + stamp.encode(), msg, count=1)
    msg = re.sub(rb"(MSH(?:\|[^|]*){9}\|)([^|]*)", lambda m: m.group(1) + digits(rng, 14), msg, count=1)
    # numeric results and quantities vary from message to message
    msg = re.sub(rb"\|(\d{1,3})\.(\d)\|", lambda m: b"|%d.%d|" % (rng.randint(1, 300), rng.randint(0, 9)), msg)
    return msg


def write(path, data, mtime):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    os.utime(path, (mtime, mtime))


def patient_files(rng, templates, pid, years, end):
    pidseg = pid_segment(rng, pid)
    visits = rng.randint(2, 6) * years
    kinds = [k for k in templates if k not in ("ADT-00", "ADT-61", "PPR-01")]
    base = end - datetime.timedelta(days=365 * years)
    for kind in ("ADT-00", "ADT-61", "PPR-01"):
        if kind == "ADT-00" or rng.random() < 0.4:
            t = base + datetime.timedelta(days=rng.randint(0, 365 * years))
            yield "-", kind, t, message(rng, templates[kind], pid, pidseg, t.strftime("%Y%m%d"), t.strftime("%Y%m%d%H%M%S"))
    for _ in range(visits):
        t = base + datetime.timedelta(days=rng.randint(0, 365 * years), seconds=rng.randint(0, 86399))
        date = t.strftime("%Y%m%d")
        for kind in rng.sample(kinds, rng.randint(2, 6)):
            yield date, kind, t, message(rng, templates[kind], pid, pidseg, date, t.strftime("%Y%m%d%H%M%S"))


def file_name(rng, pid, date, kind, t, flag):
    return "%s_%s_%s_%s_%s%03d_%s_%s" % (pid, date, kind, digits(rng, 15).decode(), t.strftime("%Y%m%d%H%M%S"),
                                         rng.randint(0, 999), rng.choice(["01", "10", "7A", "-"]), flag)


def cmd_make(a):
    rng = random.Random(a.seed)
    templates = load_templates()
    end = datetime.datetime(2026, 11, 1)
    ids = rng.sample(range(1000000, 9999999), a.patients)
    files = 0
    for n in ids:
        pid = "%d" % n
        for date, kind, t, msg in patient_files(rng, templates, pid, a.years, end):
            name = file_name(rng, pid, date, kind, t, "1")
            write(os.path.join(a.out, pid[0:3], pid[3:6], pid, date, kind, name), msg, t.timestamp())
            files += 1
    print(json.dumps({"patients": a.patients, "files": files}))


def cmd_mutate(a):
    rng = random.Random(a.seed)
    journal = open(a.journal, "w") if a.journal else None
    current = []
    for root, _, names in os.walk(a.tree):
        current += [os.path.join(root, n) for n in names if n.endswith("_1")]
    current.sort()
    total = sum(1 for _, _, n in os.walk(a.tree) for _ in n)
    new_files = new_bytes = renamed = 0
    stamp = datetime.datetime(2026, 11, 2, 9, 0)
    serial = 0
    for path in rng.sample(current, int(total * a.new_percent / 100)):
        # a new message for this patient: old content, new values and a new control ID
        with open(path, "rb") as fh:
            data = fh.read()
        serial += 1
        data = data.replace(b"MSH|", b"MSH|", 1) + b"NTE|%d|new-%d-%d\r" % (serial, a.seed, serial)
        d = os.path.dirname(path)
        parts = os.path.basename(path).split("_")
        parts[3] = digits(rng, 15).decode()
        write(os.path.join(d, "_".join(parts)), data, stamp.timestamp())
        if journal:
            journal.write(json.dumps(["new", os.path.join(d, "_".join(parts))]) + "\n")
        new_files += 1
        new_bytes += len(data)
    for path in rng.sample(current, int(total * a.rename_percent / 100)):
        if not os.path.exists(path):
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        os.rename(path, path[:-1] + "2")
        if journal:
            journal.write(json.dumps(["rename", path, path[:-1] + "2"]) + "\n")
        serial += 1
        data += b"NTE|%d|update-%d-%d\r" % (serial, a.seed, serial)
        parts = os.path.basename(path).split("_")
        parts[4] = "20261102%09d" % serial
        write(os.path.join(os.path.dirname(path), "_".join(parts)), data, stamp.timestamp())
        if journal:
            journal.write(json.dumps(["new", os.path.join(os.path.dirname(path), "_".join(parts))]) + "\n")
        renamed += 1
        new_files += 1
        new_bytes += len(data)
    if journal:
        journal.close()
    print(json.dumps({"files_before": total, "new_files": new_files, "new_bytes": new_bytes, "renamed": renamed}))


def cmd_revert(a):
    with open(a.journal) as f:
        ops = [json.loads(line) for line in f]
    for op in reversed(ops):
        if op[0] == "new" and os.path.exists(op[1]):
            os.unlink(op[1])
        elif op[0] == "rename" and os.path.exists(op[2]):
            os.rename(op[2], op[1])
    os.unlink(a.journal)
    print(json.dumps({"reverted": len(ops)}))


def cmd_rename(a):
    rng = random.Random(a.seed)
    current = []
    for root, _, names in os.walk(a.tree):
        current += [os.path.join(root, n) for n in names if n.endswith("_1")]
    current.sort()
    total = sum(1 for _, _, n in os.walk(a.tree) for _ in n)
    picked = rng.sample(current, int(total * a.percent / 100))
    for path in picked:
        os.rename(path, path[:-1] + "2")
    print(json.dumps({"files": total, "renamed": len(picked)}))


def cmd_churn(a):
    import shutil
    rng = random.Random(a.seed)
    files, dirs = [], []
    for root, ds, fs in os.walk(a.tree):
        dirs += [os.path.join(root, d) for d in ds]
        files += [os.path.join(root, f) for f in fs]
    files.sort()
    dirs.sort()
    ops = ["add", "add", "append", "delete", "rename", "rmdir", "dir2file", "file2dir", "mkdir",
           "symlink", "chmod", "touchdir"]
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(ops)
        new = "n%d_%d" % (a.seed, rng.randrange(10**6))
        try:
            if op == "add" and dirs:
                with open(os.path.join(rng.choice(dirs), new), "wb") as fh:
                    fh.write(bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000))))
            elif op == "append" and files:
                p = rng.choice(files)
                if os.path.isfile(p) and not os.path.islink(p):
                    with open(p, "ab") as fh:
                        fh.write(b"NTE|1|churn %d\r" % a.seed)
            elif op in ("delete", "rename") and files:
                p = rng.choice(files)
                if os.path.lexists(p) and not os.path.isdir(p):
                    os.unlink(p) if op == "delete" else os.rename(p, p + "_r")
            elif op in ("rmdir", "dir2file") and dirs:
                d = rng.choice(dirs)
                if os.path.isdir(d) and not os.path.islink(d):
                    shutil.rmtree(d)
                    if op == "dir2file":
                        with open(d, "wb") as fh:
                            fh.write(b"was a folder")
            elif op == "file2dir" and files:
                p = rng.choice(files)
                if os.path.lexists(p) and not os.path.isdir(p):
                    os.unlink(p)
                    os.makedirs(p)
                    with open(os.path.join(p, "inside"), "wb") as fh:
                        fh.write(b"x")
            elif op == "mkdir" and dirs:
                d = os.path.join(rng.choice(dirs), new, "deeper")
                os.makedirs(d)
                with open(os.path.join(d, "f"), "wb") as fh:
                    fh.write(b"deep %d" % a.seed)
            elif op == "symlink" and dirs:
                d = rng.choice(dirs)
                if os.path.isdir(d):
                    os.symlink("target-%d" % a.seed, os.path.join(d, new))
            elif op == "chmod" and files:
                p = rng.choice(files)
                if os.path.isfile(p) and not os.path.islink(p):
                    os.chmod(p, 0o640 if a.seed % 2 else 0o600)
            elif op == "touchdir" and dirs:
                d = rng.choice(dirs)
                if os.path.isdir(d):
                    os.utime(d, (1000000000 + a.seed, 1000000000 + a.seed))
        except (FileNotFoundError, NotADirectoryError):
            pass


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--patients", type=int, required=True)
    m.add_argument("--years", type=int, default=2)
    m.add_argument("--seed", type=int, default=1)
    u = sub.add_parser("mutate")
    u.add_argument("tree")
    u.add_argument("--new-percent", type=float, default=1.0)
    u.add_argument("--rename-percent", type=float, default=0.5)
    u.add_argument("--seed", type=int, default=2)
    u.add_argument("--journal")
    r = sub.add_parser("revert")
    r.add_argument("tree")
    r.add_argument("--journal", required=True)
    n = sub.add_parser("rename")
    n.add_argument("tree")
    n.add_argument("--percent", type=float, default=2.0)
    n.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("churn")
    c.add_argument("tree")
    c.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    return {"make": cmd_make, "mutate": cmd_mutate, "revert": cmd_revert, "rename": cmd_rename,
            "churn": cmd_churn}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
