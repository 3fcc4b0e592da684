using System.Net;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Wire;
using MptFast.Engine.Tests.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Control;

/// <summary>CONNECTION CREATE server rules (MPT-SPEC §4.7, B49–B55, B57) and the merge table field by field.</summary>
public sealed class CreateTests
{
    [Fact]
    public void Merge_follows_the_table_field_by_field()
    {
        ConnectionConfig peer = ControlFixtures.Running("ipv4-a") with
        {
            Name = "peer-name", Permission = 1, LocalPort = 40000, LocalCmdPort = 41000, ReorderWindow = 64, AuthType = 1, MaxBuffDelayMs = 300,
            Networks = new[] { new NetworkConfig(4, new IpPrefix(IPAddress.Parse("10.1.0.0"), 16), new IpPrefix(IPAddress.Parse("10.2.0.0"), 16)) }.ToEquatableArray(),
            Paths = ControlFixtures.Running("ipv4-a").Paths.Select((p, i) => p with { WeightIn = 3 + i, WeightOut = 7 + i, KeepaliveTime = 5, DeadTime = 17 }).ToEquatableArray(),
        };
        ConnectionConfig template = ControlFixtures.Daemon("ipv4-b").Template! with
        {
            Permission = 3, LocalPort = 50000, ReorderWindow = 8, MaxBuffDelayMs = 250, Status = 0, AuthKey = "server-template-key",
            Paths = ControlFixtures.Daemon("ipv4-b").Template!.Paths.Take(1).Select(p => p with { Status = PathStatus.Down }).ToEquatableArray(),
        };
        var b = new FakeConnections { Template = template, Peer = ControlPeerState.From(ControlFixtures.Interface("ipv4-b"), template) };

        ConnectionConfig c = RunCreate(b, peer, ControlAuth.DeriveKey("server-template-key")).Created!;

        Assert.Equal("peer-name", c.Name);
        Assert.Equal("peer_198_19_0_1.conf", c.FileName);
        Assert.Equal(3, c.Permission);
        Assert.Equal(4, c.IpVer);
        Assert.Equal(IPAddress.Parse("198.19.0.2"), c.IpLocal);
        Assert.Equal(50000, c.LocalPort);
        Assert.Equal(50001, b.Template!.LocalPort);
        Assert.Equal(60456, c.LocalCmdPort);
        Assert.Equal(peer.IpLocal, c.IpRemote);
        Assert.Equal(40000, c.RemotePort);
        Assert.Equal(41000, c.RemoteCmdPort);
        Assert.Single(c.Paths); // min(2, 1)
        Assert.Equal(0, c.Status);
        Assert.Equal(64, c.ReorderWindow);
        Assert.Equal(250, c.MaxBuffDelayMs);
        Assert.Equal(1, c.AuthType);
        Assert.Equal("server-template-key", c.AuthKey); // B53
        PathConfig p = c.Paths[0];
        Assert.Equal(template.Paths[0].InterfaceName, p.InterfaceName);
        Assert.Equal(template.Paths[0].PrivateAddress, p.PrivateAddress);
        Assert.Equal(template.Paths[0].GatewayAddress, p.GatewayAddress);
        Assert.Equal(ControlLookup.PublicAddress(peer.Paths[0]), p.RemoteAddress);
        Assert.Equal(5, p.KeepaliveTime);
        Assert.Equal(17, p.DeadTime);
        Assert.Equal(7, p.WeightIn);
        Assert.Equal(3, p.WeightOut);
        Assert.Equal(PathStatus.Down, p.Status);
        Assert.False(p.CmdDefault);
        NetworkConfig n = Assert.Single(c.Networks);
        Assert.Equal(new NetworkConfig(4, new IpPrefix(IPAddress.Any, 0), new IpPrefix(peer.IpLocal, 32)), n);
    }

    [Fact]
    public void An_existing_pair_gives_result_5_with_one_body_byte()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b");
        (ResponderResult reply, _) = RunCreate(b, ControlFixtures.Running("ipv4-a"), WireVectors.CaptureKey);
        Assert.Equal(ControlStatus.Ok, ControlCodec.Decode(reply.Reply, out ControlHeader h));
        Assert.Equal(HandshakeCodes.Exists, h.Parameter);
        Assert.Equal(36 + 41, reply.Reply!.Length);
        Assert.Equal(1, reply.Reply[^1]);
        Assert.Empty(b.Created);
    }

    [Fact]
    public void Create_is_refused_without_accept_remote()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        b.Peer = b.Peer with { AcceptRemote = false };
        string before = b.Snapshot();
        ResponderResult r = ControlFixtures.Responder(b).Respond(SharedFiles.LoadVector("ctrl-create-r1"), ControlFixtures.A0, 0);
        Assert.Equal(ResponderRejection.CreateNotAllowed, r.Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    [Fact]
    public void Create_is_refused_when_the_template_permission_lacks_receive()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        b.Template = b.Template! with { Permission = 1 };
        string before = b.Snapshot();
        ResponderResult r = ControlFixtures.Responder(b).Respond(SharedFiles.LoadVector("ctrl-create-r1"), ControlFixtures.A0, 0);
        Assert.Equal(ResponderRejection.PermissionDenied, r.Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    [Fact]
    public void A_start_failure_is_an_error_code_not_a_crash()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        b.StartSucceeds = false;
        (ResponderResult reply, _) = RunCreate(b, ControlFixtures.Running("ipv4-a"), WireVectors.CaptureKey);
        ControlCodec.Decode(reply.Reply, out ControlHeader h);
        Assert.Equal(HandshakeCodes.StartFailed, h.Parameter);
        Assert.Empty(b.Created);
    }

    [Fact]
    public void Unparsable_or_inconsistent_text_is_result_4()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        byte[] text = Encoding.ASCII.GetBytes("[connection]\npath_count = 99\n");
        Assert.Equal(HandshakeCodes.BadRequest, Code(RunCreateRaw(b, text, WireVectors.CaptureKey)));
        Assert.Empty(b.Created);
    }

    [Fact]
    public void Text_is_parsed_from_the_body_start_so_a_body_without_a_comment_line_works()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        string text = ConfigWriter.WriteConnection(ControlFixtures.Running("ipv4-a"), ConnectionFormat.Original);
        text = text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..]; // B49: no leading comment
        Assert.Equal(HandshakeCodes.Ok, Code(RunCreateRaw(b, Encoding.ASCII.GetBytes(text), WireVectors.CaptureKey)));
        Assert.Single(b.Created);
    }

    [Fact]
    public void Retransmitted_round_3_after_the_create_gets_the_same_reply()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        ControlResponder responder = ControlFixtures.Responder(b, token: 0);
        responder.Respond(SharedFiles.LoadVector("ctrl-create-r1"), ControlFixtures.A0, 0);
        byte[] r3 = SharedFiles.LoadVector("ctrl-create-r3");
        byte[] first = responder.Respond(r3, ControlFixtures.A0, 10).Reply!;
        ResponderResult again = responder.Respond(r3, ControlFixtures.A0, 600);
        Assert.True(again.IsRetransmission);
        Assert.Equal(first, again.Reply); // B54: not "exists", not ignored
        Assert.Single(b.Created);
    }

    [Fact]
    public void Client_refuses_without_send_permission_and_with_no_usable_path()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        var transport = new RecordingTransport();
        var client = new CreateClient(a, new HandshakeEngine(transport));
        a.Statuses[0][0] = PathStatus.ManualDown;
        a.Statuses[0][1] = PathStatus.InterfaceDown;
        Assert.Equal(CreateClientStatus.NoUsablePath, client.Start("tunnel.conf", 0, _ => { })!.Status);
        a.Configs[0] = a.Configs[0] with { Permission = 2 };
        Assert.Equal(CreateClientStatus.NotPermitted, client.Start("tunnel.conf", 0, _ => { })!.Status);
        Assert.Equal(CreateClientStatus.UnknownFile, client.Start("nope.conf", 0, _ => { })!.Status);
        Assert.Empty(transport.Sent);
    }

    [Fact]
    public void Client_target_path_scans_forward_from_cmd_default_only()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        a.Configs[0] = a.Configs[0] with { Paths = a.Configs[0].Paths.Select((p, i) => p with { CmdDefault = i == 1 }).ToEquatableArray() };
        Assert.Equal(1, CreateClient.TargetPath(a, 0));
        a.Statuses[0][1] = PathStatus.ManualDown;
        Assert.Equal(-1, CreateClient.TargetPath(a, 0)); // path 0 is OK but before the cmd_default one
        a.Statuses[0][1] = PathStatus.Down;
        Assert.Equal(1, CreateClient.TargetPath(a, 0)); // 0x80 qualifies
    }

    private static byte Code(ResponderResult r)
    {
        Assert.Equal(ControlStatus.Ok, ControlCodec.Decode(r.Reply, out ControlHeader h));
        return h.Parameter;
    }

    // Found by fuzzing (config target; the control target reaches the same parser through a signed create): a peer's
    // create body whose name held a lone CR started the connection and then threw while writing the reply.
    [Fact]
    public void A_create_body_with_a_control_character_in_a_value_is_refused_before_anything_starts()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        string body = ConfigWriter.WriteConnection(ControlFixtures.Running("ipv4-a"), ConnectionFormat.Original)
            .Replace("name             = mpt_a", "name             = \"mpt\ra\"", StringComparison.Ordinal);
        Assert.Contains("\r", body, StringComparison.Ordinal);

        ResponderResult r = RunCreateRaw(b, Encoding.ASCII.GetBytes(body), WireVectors.CaptureKey);

        Assert.Equal(HandshakeCodes.BadRequest, r.Reply![1]);
        Assert.Empty(b.Created);
    }

    // Found by fuzzing (control target, invariant "a created connection's reply body parses back"): a peer announcing
    // local_port 0 or local_cmd_port 0 (it must send the ports it bound, §5.10) became a connection sending to port 0,
    // one no connection file may hold (mpt save would write a file the next start refuses).
    [Theory]
    [InlineData(0, 60456)]
    [InlineData(23456, 0)]
    public void A_create_whose_connection_could_not_be_a_config_file_is_refused(int localPort, int localCmdPort)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        ConnectionConfig peer = ControlFixtures.Running("ipv4-a") with { LocalPort = (ushort)localPort, LocalCmdPort = (ushort)localCmdPort };

        (ResponderResult r, ConnectionConfig? created) = RunCreate(b, peer, WireVectors.CaptureKey);

        Assert.Equal(HandshakeCodes.BadRequest, r.Reply![1]);
        Assert.Null(created);
        Assert.Equal(ControlFixtures.Daemon("ipv4-b").Template!.LocalPort, b.Template!.LocalPort); // the next create keeps the port
    }

    // The §4.7 table predates MptFast's own keys: each side keeps its own (the template's on the server, the client's
    // own connection on the client); a create used to reset them to the defaults, reorder_window = auto included.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Merge_keeps_the_local_sides_own_keys_and_reorder_auto(bool peerAuto)
    {
        ConnectionConfig local = ControlFixtures.Running("ipv4-b") with
        {
            Scheduler = SchedulerMode.Weighted, LossRecovery = false, EqualizeAcks = true, ProbeIntervalMs = 50,
            ReorderWindow = peerAuto ? 64 : ConnectionConfig.MaxReorderWindow, ReorderAuto = !peerAuto,
        };
        ConnectionConfig peer = ControlFixtures.Running("ipv4-a") with
        {
            EqualizeDelay = true, ProbeIntervalMs = 0,
            ReorderWindow = peerAuto ? ConnectionConfig.MaxReorderWindow : 64, ReorderAuto = peerAuto,
        };

        ConnectionConfig m = ConnectionMerge.Merge(peer, local, IPAddress.Parse("198.19.0.2"), 60456);

        Assert.Equal(SchedulerMode.Weighted, m.Scheduler);
        Assert.False(m.LossRecovery);
        Assert.True(m.EqualizeAcks);
        Assert.False(m.EqualizeDelay);
        Assert.Equal(50, m.ProbeIntervalMs);
        Assert.Equal(ConnectionConfig.MaxReorderWindow, m.ReorderWindow);
        Assert.True(m.ReorderAuto);
        Assert.False(ConnectionMerge.Merge(peer with { ReorderAuto = false, ReorderWindow = 64 }, local with { ReorderAuto = false, ReorderWindow = 64 },
            IPAddress.Parse("198.19.0.2"), 60456).ReorderAuto);
    }

    // After a restart from `mptfast save` the template starts over at its file's port while the restored connections
    // hold theirs: a create must not bind a port one of them binds (two sockets on one port split its datagrams, B85).
    [Fact]
    public void A_create_skips_the_ports_running_connections_bind()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        b.Template = b.Template! with { LocalPort = 50000 };
        ConnectionConfig restored = ControlFixtures.Running("ipv4-b");
        b.Add(restored with { IpRemote = IPAddress.Parse("198.19.0.77"), LocalPort = 50000 });
        b.Add(restored with { IpRemote = IPAddress.Parse("198.19.0.78"), LocalPort = 50001 });

        ConnectionConfig c = RunCreate(b, ControlFixtures.Running("ipv4-a"), WireVectors.CaptureKey).Created!;

        Assert.Equal(50002, c.LocalPort);
        Assert.Equal(50003, b.Template!.LocalPort);
    }

    [Fact]
    public void The_free_port_search_skips_the_command_port_and_keeps_an_ephemeral_port()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        b.Add(ControlFixtures.Running("ipv4-b") with { LocalPort = 60457 });

        Assert.Equal(60458, CreateServer.FreeLocalPort(b, 60456, commandPort: 60456));
        Assert.Equal(30001, CreateServer.FreeLocalPort(b, 30001, commandPort: 60456));
        Assert.Equal(0, CreateServer.FreeLocalPort(b, 0, commandPort: 60456));
        b.Add(ControlFixtures.Running("ipv4-b") with { LocalPort = ushort.MaxValue });
        Assert.Equal(0, CreateServer.FreeLocalPort(b, ushort.MaxValue, commandPort: 60456)); // none left: ephemeral
    }

    private static (ResponderResult Reply, ConnectionConfig? Created) RunCreate(FakeConnections b, ConnectionConfig peer, byte[] key)
    {
        byte[] text = Encoding.ASCII.GetBytes(ConfigWriter.WriteConnection(peer, ConnectionFormat.Original));
        ResponderResult r = RunCreateRaw(b, text, key);
        return (r, b.Created.LastOrDefault());
    }

    private static ResponderResult RunCreateRaw(FakeConnections b, byte[] text, byte[] key)
    {
        ControlResponder responder = ControlFixtures.Responder(b, token: 9);
        byte[] r1 = ControlMessages.FromA(ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, 1, 0, ControlMessages.Announce((uint)text.Length), key);
        Assert.Equal(ResponderRejection.None, responder.Respond(r1, ControlFixtures.A0, 0).Rejection);
        byte[] r3 = ControlMessages.FromA(ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, 3, 9, text, key);
        ResponderResult r = responder.Respond(r3, ControlFixtures.A0, 1);
        Assert.Equal(ResponderRejection.None, r.Rejection);
        return r;
    }
}
