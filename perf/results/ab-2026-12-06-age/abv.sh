#!/bin/bash
# abv.sh TAG SCENARIO ROUNDS "VARIANTS" [LOADS] : interleaved rounds, one run per variant per round
cd /work/main
tag=$1; sc=$2; rounds=$3; loads=${5:-tcp1}
mkdir -p /tmp/ab/abv
for r in $(seq $rounds); do
  for v in $4; do
    MPTFAST_AB=$v perf/run.sh --only "$sc:mptfast-adaptive" --cc cubic --loads $loads --runs 1 --seconds 20 --mptfast /tmp/ab/mptfast-ab --tag $tag-$sc-v$v-r$r --out /tmp/ab/abv > /tmp/ab/abv/$tag-$sc-$v-$r.log 2>&1
  done
done
echo done
