#!/bin/bash
cd /work/main; mkdir -p /tmp/ab/abbbr2
for sc in rl-dsl-lte rl-15+5-1-25 rl-15+5-25-1 rl-10+10-1-25; do for b in main age; do
  perf/run.sh --only "$sc:mptfast-equalize" --cc bbr --loads tcp1 --runs 1 --seconds 20 --mptfast /tmp/ab/mptfast-$b --tag bbreq-$sc-$b-r1 --out /tmp/ab/abbbr2 > /tmp/ab/abbbr2/$sc-$b.log 2>&1
done; done
echo alldone
