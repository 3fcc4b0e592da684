#!/usr/bin/env python3
"""One HTTP request with the standard library; prints the status code, the Content-Type, a blank line and the body.

    http_get.py [--method METHOD] URL
"""
import http.client
import sys
import urllib.parse

def main():
    args = sys.argv[1:]
    method = "GET"
    if args[:1] == ["--method"]:
        method, args = args[1], args[2:]
    url = urllib.parse.urlsplit(args[0])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request(method, url.path or "/")
    r = conn.getresponse()
    body = r.read().decode()
    sys.stdout.write(f"{r.status}\n{r.getheader('Content-Type')}\n\n{body}")

if __name__ == "__main__":
    main()
