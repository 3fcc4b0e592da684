using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Linux;

/// <summary>Waits for and collects received packets (the sockets are non-blocking).</summary>
internal static class SocketTestSupport
{
    /// <summary>Patience for loopback delivery: a deadline for a hang, not a timing assertion.</summary>
    public const int PatienceMilliseconds = 3000;

    /// <summary>Polls <paramref name="socket"/> and calls <paramref name="onBatch"/> per non-empty batch until
    /// <paramref name="expected"/> packets arrived or patience ran out; returns the number received.</summary>
    public static int ReceiveUntil(IPathSocket socket, PacketBatch batch, PollSet poll, int expected, Action<PacketBatch>? onBatch)
    {
        int received = 0;
        long deadline = Environment.TickCount64 + PatienceMilliseconds;
        while (received < expected && Environment.TickCount64 < deadline)
        {
            int n = socket.ReceiveBatch(batch);
            if (n == 0)
            {
                poll.Wait(50);
                continue;
            }

            onBatch?.Invoke(batch);
            received += n;
        }

        return received;
    }

    /// <summary>Fills packet <paramref name="index"/> with <paramref name="length"/> seeded bytes at the headroom.</summary>
    public static void FillPacket(PacketBatch batch, int index, int length, int seed)
    {
        batch.SetPacket(index, PacketPool.Headroom, length);
        new Random(seed).NextBytes(batch.Data(index));
    }

    public static byte[] ExpectedBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
