using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Classify;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>
/// Both directions on one thread (<c>run --single-thread</c>, issue 15): what the inner TCP queues on the TUN while the
/// receive pump writes an ACK to it leaves in the same turn, with no second wake-up; the wait ends for the TUN and for
/// the transmit pump's wake event as well as for the sockets; the loop allocates nothing.
/// </summary>
public class SingleThreadTests
{
    [Fact]
    public void What_the_inner_tcp_answers_to_a_written_packet_leaves_in_the_same_turn_without_allocating()
    {
        var (connection, sockets) = PumpTests.Connection(0, weights: [1, 1]);
        byte[] ack = PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel);
        sockets[0].PerReceive = 1;
        sockets[0].Feed([RxOffloadTests.Gre(ack, withSequence: false, sequence: 0)]); // readable for good: one per turn
        using var pumps = new Pumps(connection);
        (AnsweringTun tun, TxPump tx, RxPump rx) = (pumps.Tun, pumps.Tx, pumps.Rx);

        for (int i = 0; i < 20; i++)
        {
            SingleThreadDatapath.Turn(rx, tx, maxWaitMs: 1000);
        }

        long Sent() => sockets[0].Sent + sockets[1].Sent;
        long turns = 0;
        int runs = SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                long before = Sent();
                long written = tun.Written;
                SingleThreadDatapath.Turn(rx, tx, maxWaitMs: 1000);
                turns++;

                // One datagram received and written to the TUN, and the answer it provoked sent in the same turn.
                if (tun.Written != written + 1 || Sent() != before + 1 || tun.Pending != 0)
                {
                    throw new InvalidOperationException($"turn {turns}: written {tun.Written - written}, sent {Sent() - before}, pending {tun.Pending}");
                }
            }
        });

        Assert.Equal(20 + (500L * runs), tun.Written);
        Assert.Equal(tun.Written, Sent());
    }

    [Fact]
    public void The_wait_ends_for_the_tun_and_for_the_transmit_pumps_wake_event()
    {
        var (connection, sockets) = PumpTests.Connection(0, weights: [1, 1]);
        using var pumps = new Pumps(connection);
        (AnsweringTun tun, TxPump tx, RxPump rx) = (pumps.Tun, pumps.Tx, pumps.Rx);

        // Nothing on the sockets: a wait without a time limit ends only for what Join added (or the receive pump's Stop,
        // which ends a wait that would otherwise hang the test).
        static bool Ends(RxPump rx, Action before)
        {
            before();
            var wait = Task.Run(() => rx.RunOnce(-1));
            bool ended = wait.Wait(5_000);
            if (!ended)
            {
                rx.Stop();
                wait.Wait();
            }

            return ended;
        }

        Assert.True(Ends(rx, tun.Inject), "a packet on the TUN did not end the wait");
        Assert.Equal(1, tx.RunOnce(0)); // the transmit half of the turn takes it
        Assert.Equal(1, sockets[0].Sent + sockets[1].Sent);
        Assert.True(Ends(rx, tx.Stop), "the transmit pump's wake event did not end the wait");

        // The thread's loop ends at either pump's Stop, and both pumps count its turns.
        var thread = new Thread(() => SingleThreadDatapath.Run(rx, tx));
        thread.Start();
        Assert.True(thread.Join(5_000), "the loop did not end after the transmit pump's Stop");
    }

    [Fact]
    public void Both_pumps_count_the_turns_of_the_one_loop()
    {
        var (connection, _) = PumpTests.Connection(0, weights: [1, 1]);
        using var pumps = new Pumps(connection);
        (AnsweringTun tun, TxPump tx, RxPump rx) = (pumps.Tun, pumps.Tx, pumps.Rx);
        var thread = new Thread(() => SingleThreadDatapath.Run(rx, tx));
        thread.Start();
        for (int i = 0; i < 5; i++)
        {
            tun.Inject();
            Thread.Sleep(10);
        }

        rx.Stop();
        Assert.True(thread.Join(5_000), "the loop did not end after the receive pump's Stop");
        Assert.True(rx.LoopIterations > 0, "no turn counted");
        Assert.Equal(rx.LoopIterations, tx.LoopIterations); // the watchdog sees the one thread turn through either
    }

    /// <summary>Both pumps of one connection over an <see cref="AnsweringTun"/>, joined for one thread.</summary>
    private sealed class Pumps : IDisposable
    {
        public Pumps(ConnectionRuntime connection)
        {
            Tun = new AnsweringTun(PumpTests.Icmp(PumpTests.LocalTunnel, PumpTests.RemoteTunnel));
            Tx = new TxPump(Tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048);
            Rx = new RxPump(Tun, [connection], 2048, default, Tx);
            SingleThreadDatapath.Join(Rx, Tx, Tun);
        }

        public AnsweringTun Tun { get; }

        public TxPump Tx { get; }

        public RxPump Rx { get; }

        public void Dispose()
        {
            Rx.Dispose();
            Tx.Dispose();
            Tun.Dispose();
        }
    }

    /// <summary>A TUN whose "kernel" answers every packet written to it with one packet to read (what the inner TCP does
    /// with an ACK: its next segments), allocation-free; readable while answers wait.</summary>
    private sealed class AnsweringTun(byte[] answer) : ITunDevice
    {
        private readonly WakeEvent _ready = new();

        public int Fd => _ready.Fd;

        public string Name => "answering0";

        public TunCounters Counters { get; } = new();

        public long Written { get; private set; }

        public int Pending { get; private set; }

        public void Inject()
        {
            Pending++;
            _ready.Signal();
        }

        public int ReadBatch(PacketBatch batch, int limit = int.MaxValue)
        {
            _ready.Reset();
            int count = 0;
            int most = Math.Min(Math.Min(batch.Capacity, limit), Pending);
            while (count < most && batch.EnsureSlots(count + 1) > count)
            {
                answer.CopyTo(batch.SlotSpan(count)[PacketPool.Headroom..]);
                batch.SetPacket(count, PacketPool.Headroom, answer.Length);
                count++;
            }

            Pending -= count;
            if (Pending > 0)
            {
                _ready.Signal();
            }

            batch.Count = count;
            return count;
        }

        public int WriteBatch(PacketBatch batch, int start, int count)
        {
            for (int i = 0; i < count; i++)
            {
                Written++;
                Inject();
            }

            return count;
        }

        public bool WriteGather(PacketGather packet)
        {
            Written++;
            Inject();
            return true;
        }

        public void Dispose() => _ready.Dispose();
    }
}
