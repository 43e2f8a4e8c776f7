#!/usr/bin/env python3
"""Steady write load for the crash drill: contributions with a fresh Idempotency-Key each, from several threads.

Every acknowledged (201) response is appended to ACKS as `key id amount`. A request that fails (connection refused
or reset while the server is down, a 503 while the database is down, a timeout) is retried with the same key, as a
careful client would, so that each key is written exactly once or not at all. Statuses and the slowest answer are
counted in STATS (JSON) when the load stops (on SIGTERM or after --seconds), with a `summary` line and a `problem`
(any status but 200, 201 and 503) for the drill to report.

With --timeline FILE, every answer (and every connection error, as ERR) is appended to FILE as `unix-time status`,
from which the failover drill measures how long no write was acknowledged.

Usage: load.py PORT TOKEN ACKS STATS [--threads 6] [--seconds 600] [--timeline FILE]
"""
import http.client
import json
import os
import signal
import sys
import threading
import time

port, token, acks_path, stats_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 6
seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 600
timeline = open(sys.argv[sys.argv.index("--timeline") + 1], "a", buffering=1) if "--timeline" in sys.argv else None

stop = threading.Event()
lock = threading.Lock()
stats = {"acknowledged": 0, "status": {}, "connection_errors": 0, "retries": 0, "slowest_ms": 0, "gave_up": 0}
acks = open(acks_path, "a", buffering=1)


def note(status):
    if timeline is not None:
        with lock:
            timeline.write(f"{time.time():.3f} {status}\n")


def count(key, amount=1):
    with lock:
        stats[key] = stats.get(key, 0) + amount


def worker(number):
    sequence = 0
    connection = None
    while not stop.is_set():
        sequence += 1
        key = f"drill-{os.getpid()}-{number}-{sequence}"
        amount = f"{(sequence % 97) + 1}.{number:02d}"
        body = json.dumps({"contributor": "beijing", "amount": amount, "currency": "CNY",
                           "valueDate": "2025-06-30", "reference": key, "memo": "crash drill"})
        for attempt in range(200):
            if stop.is_set() and attempt >= 3:
                break
            started = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                connection.request("POST", "/v1/contributions", body=body, headers={
                    "Authorization": "Bearer " + token, "Idempotency-Key": key,
                    "Content-Type": "application/json"})
                response = connection.getresponse()
                payload = response.read()
                elapsed = (time.monotonic() - started) * 1000
                note(response.status)
                with lock:
                    stats["status"][str(response.status)] = stats["status"].get(str(response.status), 0) + 1
                    stats["slowest_ms"] = max(stats["slowest_ms"], round(elapsed))
                if response.status in (200, 201):
                    created = json.loads(payload)
                    acks.write(f"{key} {created['id']} {amount}\n")
                    count("acknowledged")
                    break
                if response.status != 503:
                    # Anything else is a finding: keep it and move on to a new key.
                    with lock:
                        stats.setdefault("unexpected", []).append(
                            {"status": response.status, "body": payload.decode("utf-8", "replace")[:300]})
                    break
            except (OSError, http.client.HTTPException):
                note("ERR")
                count("connection_errors")
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.05)
            count("retries")
            time.sleep(0.05)
        else:
            count("gave_up")


def finish(*_):
    stop.set()


signal.signal(signal.SIGTERM, finish)
workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
for thread in workers:
    thread.start()
deadline = time.monotonic() + seconds
while not stop.is_set() and time.monotonic() < deadline:
    time.sleep(0.2)
stop.set()
for thread in workers:
    thread.join(timeout=120)
# What every drill reports and checks of its load: one summary line, and statuses other than success and 503 (the
# only failure a careful client retries) as a problem.
bad = {status: n for status, n in stats["status"].items() if status not in ("200", "201", "503")}
stats["problem"] = (f"the load saw statuses other than 201 and 503: {bad} {stats.get('unexpected', [])[:3]}"
                    if bad else None)
stats["summary"] = (f"load: {stats['acknowledged']} acknowledged, statuses {stats['status']}, "
                    f"{stats['connection_errors']} connection errors, {stats['retries']} retries, "
                    f"{stats['gave_up']} keys given up, slowest answer {stats['slowest_ms']} ms")
with open(stats_path, "w") as out:
    json.dump(stats, out)
