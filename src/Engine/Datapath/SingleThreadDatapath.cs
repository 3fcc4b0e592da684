namespace MptFast.Engine.Datapath;

/// <summary>
/// Both datapath directions on one thread (<c>mptfast run --single-thread</c>): the receive pump's wait also ends when
/// the TUN or the transmit pump's wake event is readable, and every turn runs the receive pump, then the transmit
/// pump without waiting.
/// </summary>
/// <remarks>
/// Why (issue 15): a tunnel endpoint at a few Mbit/s moves one or two packets per wake-up, and with two threads an
/// ACK costs two — the receive thread writes it to the TUN, the inner TCP answers inside that write by queueing its
/// next segments on the TUN, and the transmit thread wakes to read them. Here the same turn reads them: one wake-up
/// per ACK. On a machine running many endpoints (a hundred clients of a star testbed, a router with one core) the
/// wake-ups are the cost. The price is one core for both directions: a single endpoint at Gbit/s rates keeps the two
/// threads (the default). The pumps are single-threaded each and share nothing with another thread that the two-
/// thread layout does not already share, so running them in turn on one thread is safe.
/// </remarks>
internal static class SingleThreadDatapath
{
    /// <summary>The thread's name (as <c>ps -L</c> and the logs show it).</summary>
    public const string ThreadName = "mptfast-dp";

    /// <summary>Makes <paramref name="rx"/>'s wait end for the TUN and for <paramref name="tx"/>'s wake event. Once,
    /// before <see cref="Run"/>.</summary>
    public static void Join(RxPump rx, TxPump tx, ITunDevice tun)
    {
        rx.WatchAlso(tun.Fd);
        rx.WatchAlso(tx.WakeFd);
    }

    /// <summary>The thread body: returns after either pump's Stop.</summary>
    public static void Run(RxPump rx, TxPump tx)
    {
        long start = GC.GetAllocatedBytesForCurrentThread();
        while (!rx.Stopping && !tx.Stopping)
        {
            Turn(rx, tx);
            rx.EndIteration(start);
            tx.EndIteration(start);
        }
    }

    /// <summary>One turn: the receive pump waits (until its next timer, a readable socket, the TUN or a wake event) and
    /// runs, then the transmit pump moves what the TUN holds — including what the inner TCP queued while the receive
    /// pump wrote to the TUN. (Tests drive it on their own thread.)</summary>
    public static void Turn(RxPump rx, TxPump tx, int maxWaitMs = int.MaxValue)
    {
        rx.RunOnce(Math.Min(rx.WaitMilliseconds(), maxWaitMs));
        if (!tx.Stopping)
        {
            tx.RunOnce(0);
        }
    }
}
