#!/bin/bash
# star run with N clients; status --json of the server and c10 twice, 5 s apart, inside the 100-stream window
out=$1; bin=$2; n=$3; shift 3
cd /work/main
perf/star.sh --clients $n --shape 0 --idle 5 --reorder auto --out "$out" --mptfast "$bin" "$@" > "$out.log" 2>&1 &
spid=$!
until grep -q "restarted server" "$out.log" 2>/dev/null; do sleep 0.5; kill -0 $spid 2>/dev/null || exit 1; done
until [ "$(ps -eo args | grep -c '^iperf3 -c 198.19.0.1')" -ge $n ]; do sleep 0.2; kill -0 $spid 2>/dev/null || exit 1; done
sleep 3
wd=$(ls -d /tmp/mptfast-star-*/many | head -1)
for k in 1 2; do
  for who in server c10; do
    ns=mfstar${who#server}; [[ $who == server ]] && ns=mfstars
    timeout 20 ip netns exec $ns $bin status --json -c $wd/$who > "$out.$who.$k.json" 2>"$out.$who.$k.err"
  done
  [[ $k == 1 ]] && sleep 4
done
wait $spid
