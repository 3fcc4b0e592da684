import json,sys
recs=[json.loads(l) for l in open(sys.argv[1])]
recs=[r for r in recs if 'mfperfa' in r and 'mfperfb' in r]
prev=None
print(" t    dsl_Mb lte_Mb | missD retrD skipD | missL retrL skipL | fq0 fq1 ms | b:held late gaps hold")
for r in recs:
    if prev:
        dt=r['t']-prev['t']; a=r['mfperfa']; pa=prev['mfperfa']; b=r['mfperfb']; pb=prev['mfperfb']
        P=a['paths'];Q=pa['paths']
        mb=[(P[i]['tx_bytes']-Q[i]['tx_bytes'])*8/dt/1e6 for i in range(2)]
        d=lambda i,k:P[i][k]-Q[i][k]
        ro=b['reorder'];pro=pb['reorder']
        print(f"{r['t']-recs[0]['t']:5.2f} {mb[0]:6.1f} {mb[1]:6.1f} | {d(0,'retransmit_missed'):5} {d(0,'retransmitted'):5} {d(0,'retransmit_skipped_congested'):5} | {d(1,'retransmit_missed'):5} {d(1,'retransmitted'):5} {d(1,'retransmit_skipped_congested'):5} | {P[0]['forward_queue_us']/1000:5.1f} {P[1]['forward_queue_us']/1000:5.1f} | {ro['held']-pro['held']:6} {ro['delivered_late']-pro['delivered_late']:4} {ro['gaps_given_up']-pro['gaps_given_up']:4} {b['hold']/1000:5.1f}")
    prev=r
