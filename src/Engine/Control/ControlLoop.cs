using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Logging;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control;

/// <summary>
/// The control thread: keepalives, dead-path detection and link monitoring every <see cref="TickMilliseconds"/>
/// (<see cref="LivenessMonitor"/>), the command socket (MPT-SPEC §4.1, §4.8: local CLI requests), and the periodic
/// report of drop counters. Never touches a datapath thread's state except through the published fields.
/// </summary>
public sealed class ControlLoop : IDisposable, ILivenessActions
{
    public const int TickMilliseconds = 50;
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<ConnectionRuntime> _connections;
    private readonly Socket _command;
    private readonly LivenessMonitor _liveness = new();
    private readonly ILinkState _links;
    private readonly Func<string, CommandReply> _execute;
    private readonly byte[] _receive = new byte[65536];
    private readonly byte[] _send = new byte[65536];
    private readonly Dictionary<ConnectionRuntime, byte[]> _keepalives = [];
    private readonly long[] _reportedDrops;
    private long _nextDropReport;
    private volatile bool _stopping;

    public ControlLoop(IReadOnlyList<ConnectionRuntime> connections, ushort commandPort, ILinkState links, Func<string, CommandReply> execute)
    {
        _connections = connections;
        _links = links;
        _execute = execute;
        _command = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        _command.Bind(new IPEndPoint(IPAddress.IPv6Any, commandPort));
        CommandPort = (ushort)((IPEndPoint)_command.LocalEndPoint!).Port;
        foreach (ConnectionRuntime c in connections)
        {
            byte[] packet = new byte[KeepaliveCodec.PacketLength];
            KeepaliveCodec.TryWrite(packet, c.IpVersion, c.LocalTunnel, c.RemoteTunnel, out _);
            _keepalives[c] = packet;
        }

        _reportedDrops = new long[connections.Sum(c => c.Paths.Length) * 4];
        LivenessMonitor.ResetLiveness(connections, Stopwatch.GetTimestamp());
    }

    /// <summary>The bound command port (the ephemeral one when configured as 0).</summary>
    public ushort CommandPort { get; }

    public void Run()
    {
        EndPoint any = new IPEndPoint(IPAddress.IPv6Any, 0);
        while (!_stopping)
        {
            long now = Stopwatch.GetTimestamp();
            _liveness.Tick(_connections, now, this);
            ReportDrops(now);
            if (_command.Poll(TickMilliseconds * 1000, SelectMode.SelectRead) && !_stopping)
            {
                try
                {
                    int n = _command.ReceiveFrom(_receive, ref any);
                    HandleDatagram(_receive.AsSpan(0, n), (IPEndPoint)any);
                }
                catch (SocketException e)
                {
                    Log.Debug($"command socket: {e.SocketErrorCode}");
                }
            }
        }
    }

    public void Stop() => _stopping = true;

    private void HandleDatagram(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        IPAddress source = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
        if (!IPAddress.IsLoopback(source))
        {
            // Peer handshakes (0xA2/0xA3) arrive with the control-plane work; until then they are logged and dropped.
            Log.Debug($"command port: {datagram.Length}-byte datagram from {from} ignored (peer control messages not handled)");
            return;
        }

        if (CliCodec.DecodeRequest(datagram, out ReadOnlySpan<byte> line) != CliStatus.Ok)
        {
            Log.Debug($"command port: malformed CLI request from {from}");
            return;
        }

        string command = Encoding.UTF8.GetString(line);
        CommandReply reply = _execute(command);
        SendReply(reply, from);
    }

    private void SendReply(CommandReply reply, IPEndPoint to)
    {
        byte[] text = Encoding.UTF8.GetBytes(reply.Text);
        const int maxText = 60000;
        int offset = 0;
        do
        {
            int take = Math.Min(maxText, text.Length - offset);
            CliCodec.TryWriteReply(_send, reply.Ok, text.AsSpan(offset, take), out int written);
            _command.SendTo(_send.AsSpan(0, written), to);
            offset += take;
        }
        while (offset < text.Length);

        int end = CliCodec.WriteEnd(_send);
        _command.SendTo(_send.AsSpan(0, end), to);
    }

    bool ILivenessActions.SendKeepalive(ConnectionRuntime connection, PathRuntime path)
    {
        Interop.Errno e = path.Socket!.Send(_keepalives[connection]);
        if (e == Interop.Errno.Success)
        {
            path.Counters.KeepalivesSent++;
            return true;
        }

        path.Counters.KeepaliveSendErrors++;
        return false;
    }

    void ILivenessActions.StatusChanged(ConnectionRuntime connection, PathRuntime path, PathStatus from, PathStatus to, StatusOrigin origin)
    {
        string why = origin switch
        {
            StatusOrigin.DeadTimer => $"no keepalive for {path.Config.DeadTime} s",
            StatusOrigin.Keepalive => "keepalive received",
            StatusOrigin.LinkMonitor => path.LinkUp == true ? $"{path.Config.InterfaceName} is up again" : $"{path.Config.InterfaceName} is down",
            _ => origin.ToString(),
        };
        Log.Warn($"{connection.Config.FileName}: path {path.Index} ({path.PublicAddress} -> {path.RemoteAddress}) status 0x{(int)from:x2} -> 0x{(int)to:x2}: {why}");
    }

    bool? ILivenessActions.QueryLink(string interfaceName) => _links.IsUpAndRunning(interfaceName);

    private void ReportDrops(long now)
    {
        if (now < _nextDropReport)
        {
            return;
        }

        _nextDropReport = now + (long)(DropReportInterval.TotalSeconds * Stopwatch.Frequency);
        int k = 0;
        foreach (ConnectionRuntime c in _connections)
        {
            foreach (PathRuntime p in c.Paths)
            {
                Report(c, p, "datagrams from unknown senders", ref p.Counters.DropUnknownSource, k++);
                Report(c, p, "malformed GRE datagrams", ref p.Counters.DropMalformed, k++);
                Report(c, p, "truncated datagrams", ref p.Counters.DropTruncated, k++);
                Report(c, p, "keepalives naming another tunnel pair", ref p.Counters.DropKeepaliveMismatch, k++);
            }
        }
    }

    private void Report(ConnectionRuntime c, PathRuntime p, string what, ref long counter, int slot)
    {
        long value = Volatile.Read(ref counter);
        long delta = value - _reportedDrops[slot];
        if (delta > 0)
        {
            _reportedDrops[slot] = value;
            Log.Warn($"{c.Config.FileName}: path {p.Index}: dropped {delta} {what} (total {value})");
        }
    }

    public void Dispose() => _command.Dispose();
}

/// <summary>A command's reply: <c>CMD_OK:</c> or <c>CMD-ERROR:</c> plus text (MPT-SPEC §4.8).</summary>
public readonly record struct CommandReply(bool Ok, string Text);

/// <summary>Interface state for the link monitor.</summary>
public interface ILinkState
{
    /// <summary>True when UP and RUNNING, false when not, null when unknown.</summary>
    bool? IsUpAndRunning(string interfaceName);
}
