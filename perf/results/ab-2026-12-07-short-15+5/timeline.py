"""Timeline of one short transfer from the two tun0 captures here: python3 timeline.py N (N = 0, 1, 2: the transfer),
run in this directory; needs tcpdump. Every 10 ms: the sender's highest byte sent, the highest acknowledged, the
difference (in flight), and the one-way delays (sender's tun0 to receiver's tun0, reorder buffer included) of the
segments sent in those 10 ms."""
import subprocess,re,sys,collections
def rd(f):
    out=subprocess.run(['tcpdump','-r',f,'-tt','-n','-S'],capture_output=True,text=True).stdout.splitlines()
    L=[]
    for l in out:
        m=re.match(r'(\d+\.\d+) IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?.*length (\d+)',l)
        if m: L.append(m.groups())
    return L
A=rd('sender-tun0.pcap'); B=rd('receiver-tun0.pcap')
# connections by client port
ports=[g[2] for g in A if g[5]=='S']
which=int(sys.argv[1]) if len(sys.argv)>1 else 0
port=ports[which]
a=[g for g in A if port in (g[2],g[4])]; b=[g for g in B if port in (g[2],g[4])]
t0=float(a[0][0])
isn=int(a[0][6])
sent={}  # seq end -> time at a
for g in a:
    if g[2]==port and g[7]:
        s,e=int(g[6])-isn,int(g[7])-isn
        sent.setdefault((s,e),float(g[0])-t0)
arr={}
for g in b:
    if g[2]==port and g[7]:
        s,e=int(g[6])-isn,int(g[7])-isn
        arr.setdefault(s,(float(g[0])-t0,e))
acks=[(float(g[0])-t0,int(g[8])-isn) for g in a if g[4]==port and g[8] and g[2]!=port]
# one-way delay of each segment as sent from a (by its start) -> arrival at b of the same start
print('port',port,'segments sent',len(sent),'arrived (b, as written to its TUN)',len(arr))
rows=[]
for (s,e),t in sorted(sent.items(), key=lambda x:x[1]):
    if s in arr: rows.append((t,s,e,arr[s][0]-t))
# timeline every 10 ms
hi=0; ai=0; top=0
last=max(x[0] for x in acks)
for T in [x/1000 for x in range(0,int(last*1000)+10,10)]:
    snt=max([e for (s,e),t in sent.items() if t<=T] or [0])
    ack=max([n for t,n in acks if t<=T] or [0])
    d=[r[3]*1000 for r in rows if T-0.010<r[0]<=T]
    print(f"{T*1000:5.0f} ms sent {snt/1000:6.1f} KB acked {ack/1000:6.1f} KB inflight {(snt-ack)/1000:5.1f} KB  owd of segs sent (ms): {('%.1f-%.1f n=%d'%(min(d),max(d),len(d))) if d else '-'}")
