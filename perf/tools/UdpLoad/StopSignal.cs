using System.Runtime.InteropServices;

namespace MptFast.Perf.UdpLoad;

/// <summary>SIGINT/SIGTERM end the load early but cleanly: the loop stops and the JSON is still printed.</summary>
internal sealed class StopSignal : IDisposable
{
    private readonly PosixSignalRegistration _int;
    private readonly PosixSignalRegistration _term;
    private volatile bool _requested;

    public StopSignal()
    {
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public bool Requested => _requested;

    public void Dispose()
    {
        _int.Dispose();
        _term.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;   // no default termination: the loop sees the flag within one call (≤ 200 ms)
        _requested = true;
    }
}
