using MptFast.Engine.Interop;

namespace MptFast.Engine.Daemon;

/// <summary>
/// Signal dispositions the daemon inherits. A process started under <c>nohup</c> (or by a shell that ignores hangups)
/// inherits SIGHUP as ignored, and the runtime then installs no handler for it: the daemon did not reload on
/// <c>kill -HUP</c>, silently. A daemon whose SIGHUP means "reload" takes it back, as nginx and sshd do.
/// </summary>
public static class InheritedSignals
{
    private const int SigHup = 1;

    /// <summary>Sets SIGHUP back to its default disposition when it was inherited as ignored, before the daemon
    /// registers its handler; returns whether it was ignored.</summary>
    public static unsafe bool ResetIgnoredHangup()
    {
        byte* old = stackalloc byte[Libc.SigactionSize];
        if (Libc.Sigaction(SigHup, null, old) != 0 || *(nint*)old != Libc.SIG_IGN)
        {
            return false;
        }

        return Libc.Signal(SigHup, Libc.SIG_DFL) == Libc.SIG_IGN;
    }
}
