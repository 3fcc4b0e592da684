import json,glob,sys,statistics,re
tag=sys.argv[1]; res={}
for f in sorted(glob.glob(f'/tmp/ab/abv/*-{tag}-*.json')):
    m=re.search(rf'{tag}-(.+)-v(\d+)-r(\d+)\.json',f); sc,v=m.group(1),m.group(2)
    d=json.load(open(f))
    for s in d['scenarios']:
        for k,mm in s['metrics'].items():
            if k.endswith('fraction') or k.endswith('retransmits') or 'rtt_p' in k or 'done_ms' in k:
                res.setdefault((sc,k,v),[]).extend([x for x in mm['values'] if x is not None])
for (sc,k,v),xs in sorted(res.items()):
    print(f"{sc:22} {k:22} v{v}: median {statistics.median(xs):8.3f}  runs {' '.join(f'{x:.3f}' for x in xs)}")
