using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

/// <summary>Inputs the captures were made with (testvectors/README.md, testvectors/configs).</summary>
internal static class WireVectors
{
    /// <summary>The capture's auth_key string; K is its first 32 characters as ASCII.</summary>
    public const string CaptureAuthKey = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

    public static byte[] CaptureKey => ControlAuth.DeriveKey(CaptureAuthKey);

    public static readonly string[] DataVectors =
    [
        "data-ipv4-icmp-echo-noseq", "data-ipv4-icmp-echo-seq0", "data-ipv4-icmp-echo-seq1",
        "data-ipv4-icmp-reply-noseq", "data-ipv6-icmp6-echo-noseq",
    ];

    public static readonly string[] KeepaliveVectors =
    [
        "keepalive-ipv4-a-to-b", "keepalive-ipv4-b-to-a", "keepalive-ipv4-a-to-b-reorder", "keepalive-ipv6-a-to-b",
    ];

    public static readonly string[] CliVectors = ["cli-path-down-request", "cli-path-down-reply", "cli-reply-end"];

    /// <summary>Every control vector: (name, command, parameter, auth, round).</summary>
    public static readonly (string Name, ControlCommand Command, byte Parameter, ControlAuthType Auth, byte Round)[] ControlVectors = BuildControlVectors();

    public static IEnumerable<string> ControlVectorNames => ControlVectors.Select(v => v.Name);

    /// <summary>Reads <c>[connection]</c> of a capture config (side "ipv4-a", "ipv6-b", …).</summary>
    public static TunnelSide Side(string side)
    {
        string path = Path.Combine(SharedFiles.TestVectorDir, "configs", side, "conf", "connections", "tunnel.conf");
        IniDocument doc = IniDocument.Parse(File.ReadAllText(path));
        Assert.Empty(doc.Errors);
        Assert.True(doc.TryGetSection("connection", out IniSection conn));
        Assert.True(doc.TryGetSection("path_1", out IniSection path1));
        return new TunnelSide(
            byte.Parse(Value(conn, "ip_ver"), System.Globalization.CultureInfo.InvariantCulture),
            Address16.FromIPAddress(IPAddress.Parse(Value(conn, "ip_local"))),
            Address16.FromIPAddress(IPAddress.Parse(Value(conn, "ip_remote"))),
            Value(conn, "auth_key"),
            Address16.FromIPAddress(IPAddress.Parse(Value(path1, "public_ipaddr"))),
            Address16.FromIPAddress(IPAddress.Parse(Value(path1, "remote_ipaddr"))));
    }

    /// <summary>Which config side sent a keepalive vector.</summary>
    public static string KeepaliveSender(string vector) => vector switch
    {
        "keepalive-ipv4-b-to-a" => "ipv4-b",
        "keepalive-ipv6-a-to-b" => "ipv6-a",
        _ => "ipv4-a",
    };

    private static string Value(IniSection section, string key)
    {
        Assert.True(section.TryGet(key, out IniEntry entry), key);
        return entry.Value;
    }

    private static (string, ControlCommand, byte, ControlAuthType, byte)[] BuildControlVectors()
    {
        var list = new List<(string, ControlCommand, byte, ControlAuthType, byte)>();
        foreach (string change in new[] { "pathdown", "pathup" })
        {
            foreach (string auth in new[] { "auth0", "sha256" })
            {
                for (byte round = 1; round <= 4; round++)
                {
                    // Rounds 1/3 carry the requested status (down → 0x80), rounds 2/4 the result code 0.
                    byte parameter = change == "pathdown" && round % 2 == 1 ? (byte)0x80 : (byte)0;
                    list.Add(($"ctrl-{change}-{auth}-r{round}", ControlCommand.PathStatusChange, parameter,
                        auth == "auth0" ? ControlAuthType.None : ControlAuthType.Sha256, round));
                }
            }
        }

        for (byte round = 1; round <= 3; round++)
        {
            list.Add(($"ctrl-create-r{round}", ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, round));
        }

        return [.. list];
    }
}

/// <summary>The fields of one side's tunnel.conf the wire formats need (path_1 is the one changed in the captures).</summary>
internal sealed record TunnelSide(byte IpVer, Address16 IpLocal, Address16 IpRemote, string AuthKey, Address16 Path1Public, Address16 Path1Remote);

/// <summary>Replays a fixed token (the captured one), as a test's injected <see cref="IControlTokenSource"/>.</summary>
internal sealed class FixedTokenSource(uint token) : IControlTokenSource
{
    public uint NextToken() => token;
}
