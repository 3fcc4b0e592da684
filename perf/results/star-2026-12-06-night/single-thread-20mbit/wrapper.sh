#!/bin/bash
# the daemon with --single-thread (other commands unchanged)
if [ "$1" = run ]; then exec /tmp/ab/mptfast-st "$@" --single-thread; else exec /tmp/ab/mptfast-st "$@"; fi
