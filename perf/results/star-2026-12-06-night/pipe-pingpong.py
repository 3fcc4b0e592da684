import os,time
r,w=os.pipe(); r2,w2=os.pipe()
if os.fork()==0:
    for i in range(20000):
        os.read(r,1); os.write(w2,b'x')
    os._exit(0)
t=time.perf_counter()
for i in range(20000):
    os.write(w,b'x'); os.read(r2,1)
print('pipe round trip (2 switches) %.2f us'%((time.perf_counter()-t)/20000*1e6))
