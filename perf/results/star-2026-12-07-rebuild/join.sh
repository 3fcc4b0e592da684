#!/bin/bash
# One client streams through the tunnel while N-1 others create at once: what the joins cost the stream.
N=${1:-30}; BIN=${2:-/tmp/ab/mptfast-base}; OUT=${3:-/tmp/ab/join-out}; P=mfjoin
TB=/work/main/scripts/star-testbed.sh
mkdir -p $OUT; W=$(mktemp -d /tmp/ab/join-XXXX)
bash $TB --prefix $P up --clients $N >/dev/null
bash $TB --prefix $P config $W/s server
ip netns exec ${P}s $BIN run -c $W/s -d > $OUT/s.log 2>&1 & SP=$!
pids=()
for i in $(seq 1 $N); do bash $TB --prefix $P config $W/c$i client $i; ip netns exec ${P}c$i $BIN run -c $W/c$i -d > $W/c$i.log 2>&1 & pids+=($!); done
sleep 3
ip netns exec ${P}c1 $BIN -c $W/c1 create tunnel.conf
sleep 2
ip netns exec ${P}s iperf3 -s -1 -B 198.19.0.1 >/dev/null 2>&1 & IS=$!
sleep 0.5
ip netns exec ${P}c1 iperf3 -c 198.19.0.1 -t ${T:-16} -i 1 --json > $OUT/iperf.json 2>&1 & IC=$!
sleep 6
cp=()
for i in $(seq 2 $N); do ip netns exec ${P}c$i $BIN -c $W/c$i create tunnel.conf >/dev/null 2>&1 & cp+=($!); [[ -n $GAP ]] && sleep $GAP; done
wait ${cp[@]}
wait $IC; wait $IS 2>/dev/null
grep rebuilt $OUT/s.log | tail -n +2 > $OUT/rebuilds.txt
python3 - $OUT/iperf.json <<'P'
import json,sys
d=json.load(open(sys.argv[1]))
iv=[(round(i['sum']['start']),round(i['sum']['bits_per_second']/1e6),i['sum'].get('retransmits')) for i in d['intervals']]
print(' '.join(f"{s}s:{r}M/{x}rt" for s,r,x in iv))
print('total', round(d['end']['sum_sent']['bits_per_second']/1e6), 'Mbit/s, retransmits', d['end']['sum_sent']['retransmits'])
P
awk '{for(i=1;i<=NF;i++) if($i=="paused") s+=$(i+1)} END {print NR" rebuilds, paused in sum "s" ms"}' $OUT/rebuilds.txt
kill $SP ${pids[@]} 2>/dev/null; sleep 1
bash $TB --prefix $P down >/dev/null
