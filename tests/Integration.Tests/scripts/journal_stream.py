#!/usr/bin/env python3
"""Runs a command with its standard error connected as systemd connects a service's to journald: a stream socket,
whose "DEVICE:INODE" is in $JOURNAL_STREAM (systemd.exec(5)). Prints what the command wrote there, then exits with
its status.

    journal_stream.py [--redirected] COMMAND [ARGS...]

--redirected: $JOURNAL_STREAM still names the socket, but stderr is a pipe (as when a service redirects a
program's stderr): the program must not take the pipe for the journal.
"""
import os
import socket
import subprocess
import sys

def main():
    args = sys.argv[1:]
    redirected = args[:1] == ["--redirected"]
    if redirected:
        args = args[1:]
    journal, ours = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    st = os.fstat(journal.fileno())
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    if redirected:
        p = subprocess.run(args, env=env, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
        sys.stdout.write(p.stderr.decode())
        sys.exit(p.returncode)
    p = subprocess.Popen(args, env=env, stderr=journal, stdin=subprocess.DEVNULL)
    journal.close()
    data = b""
    while chunk := ours.recv(65536):
        data += chunk
    sys.stdout.write(data.decode())
    sys.exit(p.wait(timeout=60))

if __name__ == "__main__":
    main()
