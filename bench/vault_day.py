#!/usr/bin/python3
# vault_day.py: the file moves of bench/vault-day. `hold` takes the newest messages of an
# SS-MIX2 tree out (by the event time in their names, the fifth field: YYYYMMDDHHMMSSfff),
# removes the folders that held nothing else, and cuts them, oldest first, into batches;
# `put` brings one batch back with its folders and times, as an EHR writing its export
# would, and lists the paths it wrote (a change journal, as the daemon keeps one).
#
#   vault_day.py hold TREE HELD --percent 2 --batches 96      (prints JSON figures)
#   vault_day.py put TREE HELD N                              (prints the paths written)
import argparse, json, os, shutil, sys


def event_time(name):
    parts = name.split("_")
    return parts[4] if len(parts) >= 7 and parts[4].isdigit() else None


def cmd_hold(a):
    files = []
    for root, _, names in os.walk(a.tree):
        for n in names:
            t = event_time(n)
            if t:
                files.append((t, os.path.relpath(os.path.join(root, n), a.tree)))
    files.sort()
    k = int(len(files) * a.percent / 100)
    held = files[len(files) - k:]
    total = 0
    for _, rel in held:
        src, dst = os.path.join(a.tree, rel), os.path.join(a.held, "files", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        total += os.path.getsize(src)
        shutil.move(src, dst)
    # folders that held only newer messages did not exist yet
    for _, rel in held:
        d = os.path.dirname(os.path.join(a.tree, rel))
        while os.path.realpath(d) != os.path.realpath(a.tree):
            try:
                os.rmdir(d)
            except OSError:
                break
            d = os.path.dirname(d)
    per = (k + a.batches - 1) // a.batches
    os.makedirs(os.path.join(a.held, "batches"), exist_ok=True)
    for b in range(a.batches):
        with open(os.path.join(a.held, "batches", "%03d" % b), "w") as f:
            for _, rel in held[b * per:(b + 1) * per]:
                f.write(rel + "\n")
    print(json.dumps({"files_total": len(files), "held_files": k, "held_bytes": total,
                      "batches": a.batches, "per_batch": per}))


def cmd_put(a):
    with open(os.path.join(a.held, "batches", "%03d" % a.n)) as f:
        rels = [line.rstrip("\n") for line in f if line.strip()]
    for rel in rels:
        src, dst = os.path.join(a.held, "files", rel), os.path.join(a.tree, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.move(src, dst)
        print(rel)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("tree")
    h.add_argument("held")
    h.add_argument("--percent", type=float, default=2.0)
    h.add_argument("--batches", type=int, default=96)
    u = sub.add_parser("put")
    u.add_argument("tree")
    u.add_argument("held")
    u.add_argument("n", type=int)
    a = p.parse_args()
    return {"hold": cmd_hold, "put": cmd_put}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
