#!/usr/bin/python3
"""audit_append.py STATE SPEC...: append records to the viewer's hash-chained audit log
(STATE/audit.log) the way src/web/audit.c writes them, for tests of `chartvault report`.
Each SPEC is EVENT:RESULT:USER:PATIENT:HH:MM (PATIENT may be empty); the records are dated
today in local time. Prints nothing; the chain continues from the last record."""
import hashlib, json, os, sys, time

state = sys.argv[1]
path = os.path.join(state, "audit.log")
seq, prev = 0, "0" * 64
if os.path.exists(path):
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    if lines:
        last = json.loads(lines[-1])
        seq, prev = last["seq"], last["hash"]
tz = time.strftime("%z")
tz = tz[:3] + ":" + tz[3:]
day = time.strftime("%Y-%m-%d")
with open(path, "ab") as f:
    for spec in sys.argv[2:]:
        event, result, user, patient, hh, mm = spec.split(":")
        seq += 1
        rec = {"seq": seq, "time": f"{day}T{hh}:{mm}:00{tz}", "event": event, "result": result,
               "user": user or None, "addr": "127.0.0.1", "patient": patient or None,
               "detail": None, "prev": prev}
        body = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))[:-1]
        prev = hashlib.sha256(body.encode()).hexdigest()
        f.write((body + ',"hash":"' + prev + '"}\n').encode())
