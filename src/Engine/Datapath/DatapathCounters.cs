namespace MptFast.Engine.Datapath;

/// <summary>
/// Counters of the two datapath threads for the status report (read by the control thread while the pumps run; each
/// figure is one aligned 64-bit read, so a snapshot may mix instants but never tears a number).
/// </summary>
/// <param name="TxSuperPackets">TCP super-packets read from the TUN and segmented (TSO).</param>
/// <param name="RxGroMessages">UDP GRO messages split back into datagrams.</param>
/// <param name="RxGroDatagrams">Datagrams that arrived inside GRO messages.</param>
/// <param name="RxSuperPackets">Coalesced TCP super-packets written to the TUN.</param>
/// <param name="RxCoalescedSegments">TCP segments written inside those super-packets.</param>
/// <param name="RepollsClosed">Reorder gaps closed by re-reading the other paths before the window would overrun.</param>
/// <param name="RepollsTimedOut">Re-polls that ran out of time with the gap still open (the gap was on the wire).</param>
/// <param name="RxGroSlotShortages">GRO receives that found too few free message slots (held datagrams pinned them).</param>
/// <param name="RxCopiedDatagrams">Datagrams of GRO messages copied after all (the rest were written where received).</param>
/// <param name="CatchUpReads">Extra reads of a path whose sequence numbers lagged behind another path's in a round.</param>
public readonly record struct DatapathCounters(long TxSuperPackets, long RxGroMessages, long RxGroDatagrams,
    long RxSuperPackets, long RxCoalescedSegments, long RepollsClosed, long RepollsTimedOut, long RxGroSlotShortages = 0,
    long RxCopiedDatagrams = 0, long CatchUpReads = 0);
