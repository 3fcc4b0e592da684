using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Daemon;

namespace MptFast.Engine.Tests.Daemon;

/// <summary>The start-up hint for hosts whose TCP uses BBR: only for multipath connections that hold nothing for it.</summary>
public class CongestionControlHintTests
{
    [Fact]
    public void Bbr_with_a_multipath_connection_that_holds_nothing_gets_the_hint_naming_it()
    {
        string? hint = CongestionControlHint.For([Connection("tunnel.conf", paths: 2)], "bbr\n");
        Assert.NotNull(hint);
        Assert.Contains("tunnel.conf", hint, StringComparison.Ordinal);
        Assert.Contains("equalize_delay = auto (the default", hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cubic", 2, false, false, false)]
    [InlineData(null, 2, false, false, false)]   // unreadable sysctl
    [InlineData("bbr", 1, false, false, false)]  // one path: nothing to equalise
    [InlineData("bbr", 2, true, false, false)]   // equalize_delay = 1
    [InlineData("bbr", 2, false, true, false)]   // equalize_delay = acks
    [InlineData("bbr", 2, false, false, true)]   // equalize_delay = auto, the default
    public void No_hint_where_it_does_not_apply(string? congestionControl, int paths, bool equalize, bool acks, bool auto) =>
        Assert.Null(CongestionControlHint.For([Connection("tunnel.conf", paths) with { EqualizeDelay = equalize, EqualizeAcks = acks, EqualizeAuto = auto }], congestionControl));

    [Fact]
    public void A_server_with_many_connections_names_three_and_counts_the_rest()
    {
        ConnectionConfig[] many = [.. Enumerable.Range(1, 100).Select(i => Connection($"peer_{i}.conf", 2))];
        string hint = CongestionControlHint.For(many, "bbr")!;
        Assert.Contains("peer_1.conf, peer_2.conf, peer_3.conf and 97 more", hint, StringComparison.Ordinal);
    }

    private static ConnectionConfig Connection(string file, int paths) => new()
    {
        FileName = file,
        IpVer = 4,
        IpLocal = IPAddress.Parse("198.19.0.1"),
        IpRemote = IPAddress.Parse("198.19.0.2"),
        Paths = Enumerable.Range(0, paths).Select(i => new PathConfig { InterfaceName = $"veth{i}" }).ToList().ToEquatableArray(),
        EqualizeAuto = false, // equalize_delay = 0: holds nothing
    };
}
