#!/usr/bin/env python3
"""Stops ONE thread of a running process for a while, leaving the others running: the test of a watchdog that
must notice a stuck datapath thread while the process lives on.

    stop_thread.py PID THREAD_NAME SECONDS

ptrace(PTRACE_SEIZE) attaches to that thread alone (ptrace works per thread), PTRACE_INTERRUPT stops it (a
ptrace-stop, not a group stop: the other threads keep running). After SECONDS the thread is detached and runs on;
it is detached too if this script dies, because the kernel detaches the tracees of an exiting tracer.
Prints "stopped TID" once the thread is stopped and "resumed TID" after it was let go.
"""
import ctypes
import os
import sys
import time

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000

def main():
    pid, name, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")
            if open(f"/proc/{pid}/task/{t}/comm").read().strip() == name]
    if len(tids) != 1:
        sys.exit(f"expected one thread named {name} in {pid}, found {tids}")
    tid = tids[0]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    for request in (PTRACE_SEIZE, PTRACE_INTERRUPT):
        if libc.ptrace(request, tid, None, None) != 0:
            sys.exit(f"ptrace({request:#x}, {tid}): {os.strerror(ctypes.get_errno())}")
    os.waitpid(tid, WALL)  # the interrupt's stop
    print(f"stopped {tid}", flush=True)
    time.sleep(seconds)
    if libc.ptrace(PTRACE_DETACH, tid, None, None) != 0:
        sys.exit(f"ptrace(DETACH, {tid}): {os.strerror(ctypes.get_errno())}")
    print(f"resumed {tid}", flush=True)

if __name__ == "__main__":
    main()
