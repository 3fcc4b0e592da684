using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Memory;
using MptFast.Engine.Mapping;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Fuzz;

/// <summary>
/// GRE-in-UDP receive through the real receive pump on in-memory sockets and TUN (MPT-SPEC §2.6, §3.3, §7): sender
/// check → decode → keepalive or data → (merger, reorder buffer) → TUN. Invariants: no exception; every datagram a
/// socket handed out is counted exactly once (data, malformed, unknown source, truncated, command on the data port, or
/// keepalive); everything written to the TUN is the inner packet of a data datagram that came from the path's remote
/// address (nothing invented, nothing twice); data = written + held + dropped by the reorder buffer.
/// </summary>
/// <remarks>
/// Input: [reorder window][then records: [selector][length: 2 bytes BE][datagram]]; selector bit 0 = path, bits 1–2 = the
/// source (the path's remote, a stranger, the other path's remote), bit 3 = run the pump after this datagram.
/// This is the one file that knows the datapath's types (it will follow the receive pump when it moves).
/// </remarks>
internal static class ReceiveTarget
{
    private const int MaxDatagrams = 64;
    private static readonly IPAddress LocalTunnel = IPAddress.Parse("198.19.0.1"), RemoteTunnel = IPAddress.Parse("198.19.0.2");
    private static readonly IPAddress[] Remotes = [IPAddress.Parse("198.18.1.2"), IPAddress.Parse("198.18.2.2")];
    private static readonly IPAddress Stranger = IPAddress.Parse("198.18.9.9");

    public static void Run(ReadOnlySpan<byte> data)
    {
        var reader = new FuzzReader(data);
        int window = reader.Byte() % 65;
        (ConnectionRuntime connection, MemoryPathSocket[] sockets) = Connection(window);
        using var tun = new MemoryTunDevice();
        using var pump = new RxPump(tun, [connection], 2048);
        var expected = new List<byte[]>();
        try
        {
            for (int n = 0; n < MaxDatagrams && !reader.AtEnd; n++)
            {
                byte selector = reader.Byte();
                ReadOnlySpan<byte> datagram = reader.Bytes(reader.UInt16());
                int path = selector & 1;
                int sourceKind = (selector >> 1) & 3;
                IPAddress source = sourceKind == 1 ? Stranger : sourceKind == 2 ? Remotes[1 - path] : Remotes[path];
                sockets[path].Inject(datagram, source, 23456);
                if (source.Equals(Remotes[path]) && GreCodec.Decode(datagram, out GreFrame frame) == GreStatus.Ok && frame.Kind == GrePayloadKind.Data)
                {
                    expected.Add(frame.PayloadOf(datagram).ToArray());
                }

                if ((selector & 8) != 0)
                {
                    pump.RunOnce(0);
                }
            }

            for (int round = 0; round < 4; round++)
            {
                pump.RunOnce(0);
            }

            Check(connection, sockets, tun, expected);
        }
        finally
        {
            foreach (MemoryPathSocket s in sockets)
            {
                s.Dispose();
            }
        }
    }

    private static void Check(ConnectionRuntime connection, MemoryPathSocket[] sockets, MemoryTunDevice tun, List<byte[]> expected)
    {
        long data = 0;
        for (int p = 0; p < sockets.Length; p++)
        {
            Fuzz.Require(sockets[p].Pending == 0, "receive: datagrams left in a socket after the pump ran");
            PathRxCounters c = connection.Paths[p].Counters.Rx;
            long counted = c.Packets + c.DropMalformed + c.DropUnknownSource + c.DropTruncated + c.DropCommandOnDataPort + c.KeepalivesReceived;
            Fuzz.Require(counted == sockets[p].Counters.Receive.Datagrams, $"receive: path {p} got {sockets[p].Counters.Receive.Datagrams} datagrams but counted {counted}");
            Fuzz.Require(c.KeepalivesReceived == 0 || connection.Paths[p].LastKeepaliveTicks > 0, "receive: a keepalive did not refresh liveness");
            data += c.Packets;
        }

        Fuzz.Require(data == expected.Count, $"receive: {data} data packets counted, {expected.Count} data datagrams from the paths' remotes");
        var remaining = expected.GroupBy(Convert.ToHexString).ToDictionary(g => g.Key, g => g.Count());
        int written = 0;
        while (tun.TryTakeWritten(out byte[] packet))
        {
            written++;
            string key = Convert.ToHexString(packet);
            Fuzz.Require(remaining.TryGetValue(key, out int left) && left > 0, "receive: the TUN got a packet that no data datagram carried (or one twice)");
            remaining[key] = left - 1;
        }

        long held = 0, dropped = 0;
        if (connection.Reorder is { } reorder)
        {
            held = reorder.Held;
            dropped = reorder.DroppedLate + reorder.DroppedDuplicate + reorder.DroppedByReset;
        }

        FuzzReach.ReceivedWritten += written;
        Fuzz.Require(written + held + dropped == data, $"receive: {data} data packets but {written} written + {held} held + {dropped} dropped");
    }

    private static (ConnectionRuntime, MemoryPathSocket[]) Connection(int window)
    {
        var paths = new PathConfig[Remotes.Length];
        var runtimes = new PathRuntime[Remotes.Length];
        var sockets = new MemoryPathSocket[Remotes.Length];
        for (int i = 0; i < Remotes.Length; i++)
        {
            var local = IPAddress.Parse($"198.18.{i + 1}.1");
            paths[i] = new PathConfig { InterfaceName = $"veth{i + 1}", PrivateAddress = local, PublicAddress = local, RemoteAddress = Remotes[i] };
            sockets[i] = new MemoryPathSocket(new IPEndPoint(local, 23456), new IPEndPoint(Remotes[i], 23456));
            runtimes[i] = new PathRuntime(i, paths[i], local, local, Remotes[i]) { Socket = sockets[i] };
        }

        // A hold far longer than a run: what is held stays held, so the result does not depend on the clock.
        var config = new ConnectionConfig
        {
            FileName = "fuzz.conf", IpVer = 4, IpLocal = LocalTunnel, IpRemote = RemoteTunnel, LocalPort = 23456, RemotePort = 23456,
            ReorderWindow = window, MaxBuffDelayMs = 60_000, Paths = paths.ToEquatableArray(),
        };
        return (new ConnectionRuntime(0, config, runtimes, PortMapTable.Empty, Address16.FromIPAddress(LocalTunnel), Address16.FromIPAddress(RemoteTunnel)), sockets);
    }
}
