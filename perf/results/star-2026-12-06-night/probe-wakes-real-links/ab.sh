#!/bin/bash
# A/B: probe-wake change (pw) vs before (st), alternating, one stream cubic, 2 runs each, two scenarios
cd /work/main
for sc in rl-15+5-1-25 rl-dsl-lte; do
  for b in st pw st pw; do
    perf/run.sh --only "$sc:mptfast-adaptive" --cc cubic --runs 1 --loads tcp1 --seconds 20 --mptfast /tmp/ab/mptfast-$b --tag abp-$sc-$b-$RANDOM --out /tmp/ab/abp > /dev/null 2>&1
  done
done
for f in /tmp/ab/abp/*.json; do python3 -c "
import json,sys;d=json.load(open('$f'));m=d['scenarios'][0]['metrics'];print('$f'.split('vm-')[-1], round(m['tcp1_fraction']['median'],3), m['tcp1_retransmits']['median'])"; done
