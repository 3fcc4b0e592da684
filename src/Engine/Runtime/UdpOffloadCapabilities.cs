namespace MptFast.Engine.Runtime;

/// <summary>
/// What UDP offloads the kernel accepted for one socket, probed once at open and downgraded at run time when a
/// send or receive answers EIO/EINVAL (STYLE.md: quinn-udp <c>unix.rs</c>). Never assume a feature; never fail
/// because one is missing. The probe itself is the socket's (<c>LinuxUdpPathSocket</c>); this is the state both
/// the pumps and the status report read.
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

    /// <summary>Turns GSO off after the kernel refused a segmented send; true if it was on (log once).</summary>
    public bool DisableGso()
    {
        if (_gsoSegments <= 1)
        {
            return false;
        }

        _gsoSegments = 1;
        return true;
    }

    /// <summary>Turns GRO off; true if it was on (log once).</summary>
    public bool DisableGro()
    {
        if (!_gro)
        {
            return false;
        }

        _gro = false;
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"gso={GsoSegments} gro={GroSupported}";
}
