#!/bin/bash
# sysc2.sh BIN TAG [RATE-SCENARIO]: one stream over an emulated scenario; daemon a's context switches and CPU over 5 s mid-run
cd /work/main
sc=${3:-rl-10+10-1-1}
perf/run.sh --only "$sc:mptfast-adaptive" --cc cubic --loads tcp1 --runs 1 --seconds 14 --mptfast $1 --tag sc-$2 --out /tmp/ab/sysc2 > /tmp/ab/sysc2-$2.log 2>&1 &
h=$!
for i in $(seq 1 60); do
  pids=$(ps -eo pid,args | grep "[m]ptfast.* run " | grep -v "/bin/bash" | awk '{print $1}' | tr '\n' ' ')
  [ $(echo $pids | wc -w) -ge 2 ] && break
  sleep 0.5
done
for i in $(seq 1 80); do ps -eo args | grep -q "[i]perf3 -c" && break; sleep 0.25; done
sleep 3
a=$(echo $pids | awk '{print $1}')
snap() { python3 - $a <<'PY'
import os,sys
p=sys.argv[1]; sw=0; cpu=0
for t in os.listdir(f'/proc/{p}/task'):
    st=open(f'/proc/{p}/task/{t}/status').read()
    sw+=int(st.split('voluntary_ctxt_switches:')[1].split()[0])+int(st.split('nonvoluntary_ctxt_switches:')[1].split()[0])
f=open(f'/proc/{p}/stat').read().rsplit(')',1)[1].split()
print(sw, int(f[11])+int(f[12]))
PY
}
s1=$(snap); sleep 5; s2=$(snap)
echo "daemon $a ($(ps -o args= -p $a | cut -c1-60)): switches/cpu-ticks before $s1 after $s2"
wait $h
grep -h "tcp1\|Mbit" /tmp/ab/sysc2-$2.log | tail -3
