#!/usr/bin/python3
"""s3_client.py: an independent S3 client (boto3) for the tests: make buckets, read back what
chartvault wrote, and attack it with the vault's own credentials. Reads S3_ENDPOINT,
S3_ACCESS_KEY and S3_SECRET_KEY from the environment.

  s3_client.py mkbucket NAME [--lock]
  s3_client.py keys BUCKET PREFIX               every key with a data version, one a line
  s3_client.py count BUCKET PREFIX              how many keys
  s3_client.py bytes BUCKET PREFIX              bytes stored (every version)
  s3_client.py retention BUCKET KEY             "MODE UNTIL_EPOCH" of the oldest version
  s3_client.py locked BUCKET PREFIX MIN_UNTIL    check every key is COMPLIANCE-locked past
                                                MIN_UNTIL (epoch); print offenders, exit 1
  s3_client.py attack BUCKET KEY                try delete-version, shorten, GOVERNANCE,
                                                overwrite, plain delete; print what happened
  s3_client.py put BUCKET KEY TEXT              a stranger's object
  s3_client.py delete-all BUCKET KEY            delete every version (unlocked buckets only)
  s3_client.py as ACCESS SECRET COMMAND ARGS... one of these commands with other credentials
  s3_client.py policy BUCKET JSON               set the bucket's policy
  s3_client.py versions BUCKET PREFIX           "KEY VERSION data|marker" for every version
  s3_client.py extend BUCKET KEY SECONDS        lock every data version of KEY until now + SECONDS
  s3_client.py delete-version BUCKET KEY        try to delete KEY's oldest version: "deleted" or
                                                "refused CODE"
  s3_client.py serve PORT_FILE                  answer the commands above over TCP (below)

A test makes many of these calls, and a python start with boto3 costs seconds on a loaded
machine, so tests/tools/s3_lib.sh starts one server and sends each call to it through bash's
/dev/tcp: the arguments, each ended by \x1f, then a newline; the answer is the command's output,
then a line "\x1e" and its exit status, then the connection closes. One call at a time.
"""
import contextlib
import datetime
import io
import os
import socket
import sys
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(access=None, secret=None):
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        aws_access_key_id=access or os.environ["S3_ACCESS_KEY"],
        aws_secret_access_key=secret or os.environ["S3_SECRET_KEY"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def versions(s3, bucket, prefix):
    """{key: [versions newest first]} of data versions."""
    out = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for v in page.get("Versions", []):
            out.setdefault(v["Key"], []).append(v)
    return out


def oldest(s3, bucket, key):
    return versions(s3, bucket, key)[key][-1]


def code(e):
    return e.response.get("Error", {}).get("Code", "?")


def attack(s3, bucket, key):
    v = oldest(s3, bucket, key)["VersionId"]
    now = datetime.datetime.now(datetime.timezone.utc)
    tries = [
        ("delete-version", lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=v)),
        ("shorten", lambda: s3.put_object_retention(
            Bucket=bucket, Key=key, VersionId=v,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": now + datetime.timedelta(seconds=5)})),
        ("governance", lambda: s3.put_object_retention(
            Bucket=bucket, Key=key, VersionId=v,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": now + datetime.timedelta(days=400)})),
        ("bypass-delete", lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=v,
                                                   BypassGovernanceRetention=True)),
    ]
    for name, fn in tries:
        try:
            fn()
            print(f"{name} ACCEPTED")
        except ClientError as e:
            print(f"{name} refused {code(e)}")
    # These two are accepted by S3's design in a versioned bucket: they add a version or a
    # delete marker and leave the locked version in place.
    s3.put_object(Bucket=bucket, Key=key, Body=b"ransomware was here")
    print("overwrite added-version")
    s3.delete_object(Bucket=bucket, Key=key)
    print("plain-delete added-marker")
    still = [x for x in versions(s3, bucket, key).get(key, []) if x["VersionId"] == v]
    print("original " + ("kept" if still else "GONE"))


def all_versions(s3, bucket, prefix):
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for v in page.get("Versions", []):
            yield v["Key"], v["VersionId"], "data"
        for v in page.get("DeleteMarkers", []):
            yield v["Key"], v["VersionId"], "marker"


def run(s3, cmd, args):
    if cmd == "as":
        run(client(args[0], args[1]), args[2], args[3:])
    elif cmd == "policy":
        s3.put_bucket_policy(Bucket=args[0], Policy=args[1])
    elif cmd == "versions":
        for key, vid, what in sorted(all_versions(s3, args[0], args[1])):
            print(key, vid, what)
    elif cmd == "extend":
        until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(args[2]))
        for v in versions(s3, args[0], args[1]).get(args[1], []):
            s3.put_object_retention(Bucket=args[0], Key=args[1], VersionId=v["VersionId"],
                                    Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    elif cmd == "delete-version":
        try:
            s3.delete_object(Bucket=args[0], Key=args[1], VersionId=oldest(s3, args[0], args[1])["VersionId"])
            print("deleted")
        except ClientError as e:
            print("refused", code(e))
    elif cmd == "mkbucket":
        s3.create_bucket(Bucket=args[0], ObjectLockEnabledForBucket="--lock" in args)
    elif cmd == "keys":
        for k in sorted(versions(s3, args[0], args[1])):
            print(k)
    elif cmd == "bytes":
        print(sum(v["Size"] for vs in versions(s3, args[0], args[1]).values() for v in vs))
    elif cmd == "count":
        print(len(versions(s3, args[0], args[1])))
    elif cmd == "retention":
        v = oldest(s3, args[0], args[1])["VersionId"]
        try:
            r = s3.get_object_retention(Bucket=args[0], Key=args[1], VersionId=v)["Retention"]
            print(r["Mode"], int(r["RetainUntilDate"].timestamp()))
        except ClientError as e:
            print("none 0", code(e))
    elif cmd == "locked":
        bad = 0
        for key, vs in sorted(versions(s3, args[0], args[1]).items()):
            try:
                r = s3.get_object_retention(Bucket=args[0], Key=key,
                                            VersionId=vs[-1]["VersionId"])["Retention"]
                ok = r["Mode"] == "COMPLIANCE" and r["RetainUntilDate"].timestamp() > int(args[2])
            except ClientError as e:
                r, ok = code(e), False
            if not ok:
                print(key, r)
                bad += 1
        sys.exit(1 if bad else 0)
    elif cmd == "attack":
        attack(s3, args[0], args[1])
    elif cmd == "put":
        s3.put_object(Bucket=args[0], Key=args[1], Body=args[2].encode())
    elif cmd == "delete-all":
        for v in versions(s3, args[0], args[1]).get(args[1], []):
            s3.delete_object(Bucket=args[0], Key=args[1], VersionId=v["VersionId"])
    else:
        sys.exit(f"unknown command {cmd}")


def serve(port_file):
    s3 = client()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = srv.accept()
        with conn:
            data = b""
            while not data.endswith(b"\n"):
                more = conn.recv(65536)
                if not more:
                    break
                data += more
            argv = data.decode().rstrip("\n").split("\x1f")[:-1]
            out, rc = io.StringIO(), 0
            try:
                with contextlib.redirect_stdout(out):
                    run(s3, argv[0], argv[1:])
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 1
                if isinstance(e.code, str):
                    print(e.code, file=sys.stderr)
            except Exception:  # the test sees the failure as an exit status
                traceback.print_exc()
                rc = 1
            text = out.getvalue()
            if text and not text.endswith("\n"):
                text += "\n"
            conn.sendall((text + f"\x1e{rc}\n").encode())


def main():
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        run(client(), sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    main()
