using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Wire;
using MptFast.Engine.Tests.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Control;

/// <summary>An in-memory daemon: connections, runtime path statuses, and a record of every change the protocol made.</summary>
internal sealed class FakeConnections : IControlConnections
{
    public List<ConnectionConfig> Configs { get; } = [];

    public List<PathStatus[]> Statuses { get; } = [];

    public List<(int Connection, int Path, PathStatus Status, StatusChangeOrigin Origin)> Changes { get; } = [];

    public List<(int Connection, int Path)> Refreshes { get; } = [];

    public List<ConnectionConfig> Created { get; } = [];

    public List<(int Index, ConnectionConfig Merged)> Replaced { get; } = [];

    public bool StartSucceeds { get; set; } = true;

    public ControlPeerState Peer { get; set; } = new();

    public ConnectionConfig? Template { get; set; }

    public int Count => Configs.Count;

    public ConnectionConfig Connection(int index) => Configs[index];

    public PathStatus GetPathStatus(int connection, int path) => Statuses[connection][path];

    public void SetPathStatus(int connection, int path, PathStatus status, StatusChangeOrigin origin)
    {
        Statuses[connection][path] = status;
        Changes.Add((connection, path, status, origin));
    }

    public void RefreshKeepalive(int connection, int path) => Refreshes.Add((connection, path));

    public Dictionary<(int Connection, int Path), long> ReceivedCounts { get; } = [];

    public List<string> Deleted { get; } = [];

    public bool DeleteCreated(int connection)
    {
        Deleted.Add(Configs[connection].FileName);
        Configs.RemoveAt(connection);
        Statuses.RemoveAt(connection);
        return true;
    }

    public long Received(int connection, int path) => ReceivedCounts.GetValueOrDefault((connection, path));

    public List<(int Connection, int Path, IPAddress To)> Moves { get; } = [];

    public bool MovePath(int connection, int path, IPAddress observed)
    {
        if (Moves.Count > 0 && Moves[^1] == (connection, path, observed))
        {
            return false;
        }

        Moves.Add((connection, path, observed));
        return true;
    }

    public bool TryStartCreated(ConnectionConfig created)
    {
        if (!StartSucceeds)
        {
            return false;
        }

        Created.Add(created);
        Add(created);
        return true;
    }

    public void ReplaceAndRestart(int index, ConnectionConfig merged)
    {
        Configs[index] = merged;
        Statuses[index] = [.. merged.Paths.Select(p => p.Status)];
        Replaced.Add((index, merged));
    }

    public FakeConnections Add(ConnectionConfig c)
    {
        Configs.Add(c);
        Statuses.Add([.. c.Paths.Select(p => p.Status)]);
        return this;
    }

    /// <summary>Everything observable, for "no state change" checks.</summary>
    public string Snapshot() =>
        string.Join(";", Statuses.Select(s => string.Join(",", s.Select(x => ((byte)x).ToString(System.Globalization.CultureInfo.InvariantCulture)))))
        + $"|{Changes.Count}|{Refreshes.Count}|{Moves.Count}|{Created.Count}|{Replaced.Count}|{Configs.Count}|{Template?.LocalPort}";
}

/// <summary>Records every datagram sent.</summary>
internal sealed class RecordingTransport : IControlTransport
{
    public List<(byte[] Data, IPEndPoint To)> Sent { get; } = [];

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to) => Sent.Add((datagram.ToArray(), to));
}

/// <summary>The capture setup of testvectors/README.md as running daemons.</summary>
internal static class ControlFixtures
{
    public static readonly IPEndPoint A0 = new(IPAddress.Parse("198.18.1.1"), 60456);
    public static readonly IPEndPoint B0 = new(IPAddress.Parse("198.18.1.2"), 60456);
    public static readonly IPEndPoint B1 = new(IPAddress.Parse("198.18.2.2"), 60456);

    public static InterfaceConfig Interface(string side) =>
        InterfaceParser.Parse(File.ReadAllText(ConfDir(side, "interface.conf")), "interface.conf").GetValueOrThrow();

    /// <summary>The side's tunnel.conf with the start-time overrides of MPT-SPEC §5.9 applied.</summary>
    public static ConnectionConfig Running(string side, int authType = 0)
    {
        InterfaceConfig iface = Interface(side);
        ConnectionConfig c = ConnectionParser.Parse(File.ReadAllText(ConfDir(side, "connections", "tunnel.conf")), "tunnel.conf").GetValueOrThrow();
        c = c with { LocalCmdPort = iface.CommandPort, AuthType = authType };
        return c.IpVer == 4 ? c with { IpLocal = iface.Ipv4Address!.Address } : c;
    }

    /// <summary>A daemon of the capture: the side's connection, and conf.template with the same content (README).</summary>
    public static FakeConnections Daemon(string side, int authType = 0, bool withConnection = true)
    {
        ConnectionConfig template = ConnectionParser.ParseTemplate(File.ReadAllText(ConfDir(side, "connections", "tunnel.conf")), "conf.template").GetValueOrThrow();
        var fake = new FakeConnections { Template = template, Peer = ControlPeerState.From(Interface(side), template) };
        return withConnection ? fake.Add(Running(side, authType)) : fake;
    }

    public static ControlResponder Responder(FakeConnections daemon, uint token = 0x67607431) => new(daemon, new FixedTokenSource(token));

    private static string ConfDir(string side, params string[] parts) =>
        Path.Combine([SharedFiles.TestVectorDir, "configs", side, "conf", .. parts]);
}

/// <summary>A fake monotonic clock in milliseconds.</summary>
internal sealed class FakeClock
{
    public long Now { get; private set; } = 1_000_000;

    public long Advance(long ms) => Now += ms;
}

/// <summary>Tokens from a seeded generator (never 0), for auth type 1/2 peers in tests.</summary>
internal sealed class SeededTokenSource(int seed) : IControlTokenSource
{
    private readonly Random _random = new(seed);

    public uint NextToken() => (uint)_random.Next(1, int.MaxValue);
}
