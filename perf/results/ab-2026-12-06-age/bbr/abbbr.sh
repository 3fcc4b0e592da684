#!/bin/bash
cd /work/main; mkdir -p /tmp/ab/abbbr
for r in 1 2; do for sc in rl-dsl-lte rl-15+5-1-25 rl-15+5-25-1 rl-10+10-1-25; do for b in main age; do
  perf/run.sh --only "$sc:mptfast-adaptive" --cc bbr --loads tcp1 --runs 1 --seconds 20 --mptfast /tmp/ab/mptfast-$b --tag bbr-$sc-$b-r$r --out /tmp/ab/abbbr > /tmp/ab/abbbr/$sc-$b-$r.log 2>&1
done; done; done
echo alldone
