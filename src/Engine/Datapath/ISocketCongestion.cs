using MptFast.Engine.Offload;

namespace MptFast.Engine.Datapath;

/// <summary>What a lookup found of a local TCP socket's congestion control.</summary>
public enum SocketCongestion : byte
{
    /// <summary>No such socket here (a forwarded flow, one that has ended, another namespace), or the lookup failed.</summary>
    Unknown = 0,

    /// <summary>A congestion control that sizes its window by the minimum round trip it has seen (BBR): over paths of
    /// unequal delay it needs its acknowledgements held (<c>equalize_delay = auto</c>).</summary>
    DelayBased = 1,

    /// <summary>Any other (CUBIC, Reno…): loss-based, its window grows with the longer round trip by itself.</summary>
    Other = 2,
}

/// <summary>Looks up the congestion control of a TCP socket of this host (the receive thread, once per flow and
/// period; <see cref="AckHoldFlows"/>). Implementations answer without blocking and allocate nothing.</summary>
public interface ISocketCongestion
{
    /// <summary>The congestion control of the socket <paramref name="socket"/> names.</summary>
    SocketCongestion Lookup(in TcpSocketId socket);
}
