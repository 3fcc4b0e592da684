import json,subprocess,time,sys,os
BIN=sys.argv[1]; out=open(sys.argv[2],'w'); dur=float(sys.argv[3])
def find(ns):
    r=subprocess.run(['ip','netns','pids',ns],capture_output=True,text=True)
    for pid in r.stdout.split():
        try: cmd=open(f'/proc/{pid}/cmdline','rb').read().split(b'\0')
        except OSError: continue
        if len(cmd)>1 and b'mptfast' in cmd[0] and b'run' in cmd:
            i=cmd.index(b'-c') if b'-c' in cmd else None
            if i is not None: return cmd[i+1].decode()
    return None
t0=time.time(); dirs={}
while time.time()-t0<dur:
    for ns in ('mfperfa','mfperfb'):
        if ns not in dirs:
            d=find(ns)
            if d: dirs[ns]=d
    if len(dirs)<2: time.sleep(0.2); continue
    rec={'t':time.time()}
    for ns,d in list(dirs.items()):
        r=subprocess.run(['ip','netns','exec',ns,BIN,'status','--json','-c',d],capture_output=True,text=True)
        if r.returncode: dirs.pop(ns,None); continue
        s=json.loads(r.stdout); c=s['connections'][0]
        rec[ns]={'reorder':c['reorder'],'hold':c['reorder_hold_us'],'paths':[{k:p[k] for k in ('tx_bytes','rx_bytes')}|{k:p['measurement'][k] for k in ('forward_queue_us','retransmitted','retransmit_missed','retransmit_skipped_congested','scheduler_rate_bytes_per_second','give_ups_sent')} for p in c['paths']]}
    out.write(json.dumps(rec)+'\n'); out.flush()
    time.sleep(0.2)
