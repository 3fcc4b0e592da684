import json,sys
pre=sys.argv[1]
a=json.load(open(pre+'-1.json')); b=json.load(open(pre+'-2.json'))
def g(d):
    dp=d['tunnel']['datapath']; c=d['connections'][0]
    return dict(t=d['tunnel']['uptime_s'], txl=dp['tx_loop_iterations'], rxl=dp['rx_loop_iterations'], sup=dp['tx_super_packets'],
                txp=sum(p['tx_packets'] for p in c['paths']), rxp=sum(p['rx_packets'] for p in c['paths']),
                gso=sum(p['socket'].get('gso_sends',0) for p in c['paths']), sent=sum(p['socket'].get('sent',0) for p in c['paths']),
                recv=sum(p['socket'].get('received',0) for p in c['paths']))
x,y=g(a),g(b); d={k:y[k]-x[k] for k in x}; dt=d['t']
print(pre.split('/')[-1], 'dt %.1f s'%dt, ' '.join('%s %.0f/s'%(k,v/dt) for k,v in d.items() if k!='t'))
print('  data packets per tx wake %.1f, segments per super-packet %.1f, datagrams per send call %.1f, ACK packets per rx wake %.2f' % (d['txp']/max(1,d['txl']), d['txp']/max(1,d['sup']), d['sent']/max(1,d['gso']), d['rxp']/max(1,d['rxl'])))
