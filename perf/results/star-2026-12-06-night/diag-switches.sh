#!/bin/bash
# star run; inside the 100-stream window: perf stat -a (context switches, migrations), /proc/stat, server-side packet count over 5 s
out=$1; bin=$2; shift 2
cd /work/main
perf/star.sh --clients ${CLIENTS:-100} --shape 0 --reorder auto --out "$out" --mptfast "$bin" "$@" > "$out.log" 2>&1 &
spid=$!
until grep -q "restarted server" "$out.log" 2>/dev/null; do sleep 0.5; kill -0 $spid 2>/dev/null || exit 1; done
until [ "$(ps -eo args | grep -c '^iperf3 -c 198.19.0.1')" -ge ${CLIENTS:-100} ]; do sleep 0.2; kill -0 $spid 2>/dev/null || exit 1; done
sleep 4
pk() { ip netns exec mfstars cat /proc/net/dev | awk 'NR>2 {rx+=$3; tx+=$11} END {print rx, tx}'; }
a=$(pk); s1=$(head -1 /proc/stat)
perf stat -a -e context-switches,cpu-migrations,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_poll -x, -o $out.perfstat sleep 5
b=$(pk); s2=$(head -1 /proc/stat)
echo "pk $a / $b" > $out.d3; echo "$s1" >> $out.d3; echo "$s2" >> $out.d3
wait $spid
