using MptFast.Engine.Interop;

namespace MptFast.Engine.Datapath;

/// <summary>
/// What UDP offloads the kernel accepted for one socket, probed once at open and downgraded at run time when a
/// send or receive answers EIO/EINVAL (STYLE.md: quinn-udp <c>unix.rs</c>). Never assume a feature; never fail
/// because one is missing. Only probed for now: the datapath does not use GSO/GRO yet.
/// </summary>
public sealed class UdpOffloadCapabilities
{
    /// <summary>UDP GSO caps a send at 64 segments (UDP_MAX_SEGMENTS).</summary>
    public const int MaxSegments = 64;

    private volatile int _gsoSegments;
    private volatile bool _gro;

    /// <summary>Creates a capability record.</summary>
    public UdpOffloadCapabilities(int gsoSegments, bool groSupported)
    {
        _gsoSegments = gsoSegments;
        _gro = groSupported;
    }

    /// <summary>Segments one UDP_SEGMENT send may carry: 1 means no GSO.</summary>
    public int GsoSegments => _gsoSegments;

    /// <summary>The socket accepts UDP_SEGMENT.</summary>
    public bool GsoSupported => _gsoSegments > 1;

    /// <summary>The socket accepts UDP_GRO.</summary>
    public bool GroSupported => _gro;

    /// <summary>Why the last downgrade happened (Success if none).</summary>
    public Errno DowngradeReason { get; private set; }

    /// <summary>Turns GSO off after the kernel refused a segmented send; true if it was on (log once).</summary>
    public bool DisableGso(Errno reason)
    {
        if (_gsoSegments <= 1)
        {
            return false;
        }

        _gsoSegments = 1;
        DowngradeReason = reason;
        return true;
    }

    /// <summary>Turns GRO off; true if it was on (log once).</summary>
    public bool DisableGro(Errno reason)
    {
        if (!_gro)
        {
            return false;
        }

        _gro = false;
        DowngradeReason = reason;
        return true;
    }

    /// <summary>Probes <paramref name="fd"/> without changing its behaviour: getsockopt(SOL_UDP, UDP_SEGMENT/UDP_GRO)
    /// succeed on kernels that implement them (4.18 / 5.0+).</summary>
    internal static UdpOffloadCapabilities Probe(int fd)
    {
        bool gso = Libc.GetIntOption(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, out _) == Errno.Success;
        bool gro = Libc.GetIntOption(fd, Libc.SOL_UDP, Libc.UDP_GRO, out _) == Errno.Success;
        return new UdpOffloadCapabilities(gso ? MaxSegments : 1, gro);
    }

    /// <inheritdoc/>
    public override string ToString() => $"gso={GsoSegments} gro={GroSupported}";
}
