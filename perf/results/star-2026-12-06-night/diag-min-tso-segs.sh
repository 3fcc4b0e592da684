#!/bin/bash
# star run; after the server restart, net.ipv4.tcp_min_tso_segs=SEGS in every client namespace (the inner TCP's
# smallest TSO burst), then the 100-stream window as usual (experiment: does a bigger burst keep the star off the cliff?)
out=$1; bin=$2; segs=$3; shift 3
cd /work/main
perf/star.sh --clients 100 --shape 0 --idle 5 --reorder auto --out "$out" --mptfast "$bin" "$@" > "$out.log" 2>&1 &
spid=$!
until grep -q "restarted server" "$out.log" 2>/dev/null; do sleep 0.2; kill -0 $spid 2>/dev/null || exit 1; done
for i in $(seq 1 100); do ip netns exec mfstarc$i sysctl -qw net.ipv4.tcp_min_tso_segs=$segs; done
echo "set $segs in $(for i in $(seq 1 100); do ip netns exec mfstarc$i sysctl -n net.ipv4.tcp_min_tso_segs; done | grep -c "^$segs$") namespaces" > $out.sysctl
wait $spid
