#!/usr/bin/env python3
"""A Prometheus stand-in for the harness's --metrics-scrape: GET URL every INTERVAL seconds until SIGTERM (or
MAX_SECONDS), then write how many scrapes answered 200 and how many failed to COUNT_FILE as "ok failed".

    scrape.py URL INTERVAL MAX_SECONDS COUNT_FILE
"""
import http.client
import signal
import sys
import time
import urllib.parse


def main():
    url, interval, limit, count_file = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    target = urllib.parse.urlsplit(url)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    ok = failed = 0
    deadline = time.monotonic() + limit
    while not stop and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
            conn.request("GET", target.path)
            r = conn.getresponse()
            r.read()
            ok, failed = (ok + 1, failed) if r.status == 200 else (ok, failed + 1)
            conn.close()
        except OSError:
            failed += 1
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    with open(count_file, "w", encoding="ascii") as f:
        f.write(f"{ok} {failed}\n")


if __name__ == "__main__":
    main()
