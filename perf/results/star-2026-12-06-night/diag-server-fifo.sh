#!/bin/bash
# star run; after the server restart, its rx and tx threads get SCHED_FIFO priority 5 (diagnostic only)
out=$1; bin=$2; shift 2
cd /work/main
perf/star.sh --clients 100 --shape 0 --idle 5 --reorder auto --out "$out" --mptfast "$bin" "$@" > "$out.log" 2>&1 &
spid=$!
until grep -q "restarted server" "$out.log" 2>/dev/null; do sleep 0.5; kill -0 $spid 2>/dev/null || exit 1; done
wd=$(ls -d /tmp/mptfast-star-*/many | head -1)
sp=$(pgrep -f "run -c $wd/server( |$)" | head -1)
for t in /proc/$sp/task/*; do c=$(cat $t/comm); case $c in mptfast-rx|mptfast-tx) chrt -f -p 5 $(basename $t) && echo "fifo $c $(basename $t)";; esac; done > $out.chrt 2>&1
wait $spid
