using System.Buffers.Binary;
using System.Text;
using MptFast.Engine.Offload;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Fuzz;

/// <summary>
/// Seed inputs per target, made from ../shared/testvectors (the original's captured packets) and
/// ../shared/spec/example-configs, plus a few structured inputs for the harness formats. fuzz.sh writes them as the
/// starting corpus; the replay test runs them with the committed corpus.
/// </summary>
internal static class FuzzSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> For(string target) => target switch
    {
        "gre" => Gre(),
        "keepalive" => Vectors("keepalive-").Concat(Vectors("data-")),
        "control" => Control(),
        "config" => Configs(),
        "cli" => Cli(),
        "coalesce" => Coalesce(),
        "segment" => Segment(),
        "reorder" => Reorder(),
        "receive" => Receive(),
        _ => [],
    };

    private static IEnumerable<(string, byte[])> Vectors(string prefix) =>
        SharedFiles.AllVectorNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => (n, SharedFiles.LoadVector(n)));

    private static IEnumerable<(string, byte[])> Gre()
    {
        foreach ((string name, byte[] v) in Vectors("data-").Concat(Vectors("keepalive-")))
        {
            yield return (name, v);

            // The same payload behind C and K fields (RFC 2784/2890), with a valid checksum.
            byte[] ck = new byte[v.Length + 8];
            ck[0] = (byte)(GreCodec.FlagChecksum | GreCodec.FlagKey);
            v.AsSpan(2, 2).CopyTo(ck.AsSpan(2));
            BinaryPrimitives.WriteUInt32BigEndian(ck.AsSpan(8), 0xC0FFEE);
            v.AsSpan(4).CopyTo(ck.AsSpan(12));
            BinaryPrimitives.WriteUInt16BigEndian(ck.AsSpan(4), InternetChecksum.Compute(ck));
            yield return (name + "-ck", ck);
        }
    }

    private static IEnumerable<(string, byte[])> Control()
    {
        foreach (string change in new[] { "pathdown", "pathup" })
        {
            foreach ((string auth, byte daemon) in new[] { ("auth0", (byte)ControlDaemonKind.ConnectionNoAuth), ("sha256", (byte)ControlDaemonKind.ConnectionSha256) })
            {
                byte[] r1 = SharedFiles.LoadVector($"ctrl-{change}-{auth}-r1"), r3 = SharedFiles.LoadVector($"ctrl-{change}-{auth}-r3");
                yield return ($"{change}-{auth}", [daemon, .. ControlTarget.Record(0, r1), .. ControlTarget.Record(0, r3)]);
                yield return ($"{change}-{auth}-r3-signed", [daemon, .. ControlTarget.Record(ControlTarget.ModeSign | ControlTarget.ModeToken | ControlTarget.ModeRound1First, r3)]);
            }
        }

        byte[] c1 = SharedFiles.LoadVector("ctrl-create-r1"), c3 = SharedFiles.LoadVector("ctrl-create-r3");
        yield return ("create", [(byte)ControlDaemonKind.TemplateOnly, .. ControlTarget.Record(0, c1), .. ControlTarget.Record(0, c3)]);
        yield return ("create-signed", [(byte)ControlDaemonKind.TemplateOnly, .. ControlTarget.Record(ControlTarget.ModeSign | ControlTarget.ModeToken | ControlTarget.ModeRound1First, c3)]);
        yield return ("create-exists", [(byte)ControlDaemonKind.ConnectionSha256, .. ControlTarget.Record(ControlTarget.ModeSign | ControlTarget.ModeToken | ControlTarget.ModeRound1First, c3)]);
        yield return ("create-refused", [(byte)ControlDaemonKind.TemplateRefusing, .. ControlTarget.Record(0, c1)]);
        byte[] keepalive = SharedFiles.LoadVector("keepalive-ipv4-a-to-b");
        yield return ("keepalive-cmdport", [(byte)ControlDaemonKind.ConnectionNoAuth, .. ControlTarget.Record(0, keepalive.AsSpan(GreCodec.BaseHeaderLength))]);
    }

    private static IEnumerable<(string, byte[])> Configs()
    {
        foreach (string root in new[] { SharedFiles.ExampleConfigDir, Path.Combine(SharedFiles.TestVectorDir, "configs") })
        {
            foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (file.EndsWith(".conf", StringComparison.Ordinal) || file.EndsWith(".template", StringComparison.Ordinal))
                {
                    yield return (Path.GetRelativePath(SharedFiles.SharedRoot, file).Replace('/', '_'), File.ReadAllBytes(file));
                }
            }
        }

        byte[] create = SharedFiles.LoadVector("ctrl-create-r3");
        yield return ("create-body", create.AsSpan(36 + 40).ToArray());
    }

    private static IEnumerable<(string, byte[])> Cli()
    {
        byte[] request = SharedFiles.LoadVector("cli-path-down-request");
        yield return ("cli-path-down-request", request.AsSpan(CliCodec.HeaderLength, request.Length - CliCodec.HeaderLength - 1).ToArray());
        string[] lines =
        [
            "show status", "show status json", "path up fd00:1::1 fd00:1::2", "int veth1 up", "interface eth0.5 down",
            "addr add 198.19.0.5/24 dev tun0", "address del fd00:ff::9 dev tun0", "reload", "reload tunnel.conf",
            "restart tunnel.conf", "save", "save x.conf", "delete tunnel.conf", "create tunnel.conf",
        ];
        foreach (string line in lines)
        {
            yield return (line.Replace(' ', '_').Replace('/', '_').Replace(':', '_'), Encoding.UTF8.GetBytes(line));
        }
    }

    // 4 bytes a packet: [flow | bits][flags/sequence][payload length][fill] (CoalesceTarget).
    private static IEnumerable<(string, byte[])> Coalesce()
    {
        yield return ("train-v4", Repeat([0x00, 0x00, 0x80 | 100, 0x41], 40));
        yield return ("train-v6-options", Repeat([0x42, 0x00, 0x80 | 120, 0x42], 30));
        yield return ("train-psh-short", [.. Repeat([0x00, 0x00, 0x80 | 100, 0x41], 5), 0x00, 0x03, 0x80 | 50, 0x43, .. Repeat([0x00, 0x00, 0x80 | 100, 0x41], 5)]);
        yield return ("two-flows", [.. Repeat([0x00, 0x00, 0x80 | 90, 1, 0x01, 0x00, 0x80 | 90, 2], 10)]);
        yield return ("barriers-corrupt", [0x00, 0x00, 0x80 | 80, 1, 0x00, 0x05, 0, 0, 0x04, 0x00, 0, 3, 0x00, 0x00, 0, 4, 0x08, 0x00, 0, 5, 0x00, 0x40, 2, 6, 0x03, 0x80, 0x80 | 30, 7]);
    }

    private static byte[] Repeat(byte[] unit, int times) => [.. Enumerable.Repeat(unit, times).SelectMany(u => u)];

    // A virtio header + a TCP super-packet with a partial checksum, as an offloading TUN hands it out.
    private static IEnumerable<(string, byte[])> Segment()
    {
        foreach ((string name, bool v6, int payload, ushort mss) in new[] { ("gso-v4", false, 4000, (ushort)1000), ("gso-v6", true, 2900, (ushort)1440), ("gso-v4-one", false, 500, (ushort)1448) })
        {
            byte[] packet = new byte[60 + payload];
            int length = TcpPacketBuilder.Write(packet, v6, 0, 1, 7, 9, TcpPacketBuilder.Ack | TcpPacketBuilder.Psh | TcpPacketBuilder.Fin, 0, payload, 0x61, 64, true);
            int ip = v6 ? 40 : 20;
            uint pseudo = Fuzz.PseudoHeaderSum(packet, v6, length - ip);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(ip + 16), Fuzz.OnesSum([], pseudo));
            byte[] input = new byte[VirtioNetHeader.Size + length];
            new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4, (ushort)(ip + 20), mss, (ushort)ip, 16).TryWrite(input);
            packet.AsSpan(0, length).CopyTo(input.AsSpan(VirtioNetHeader.Size));
            yield return (name, input);
        }

        byte[] icmp = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq");
        yield return ("single-icmp", [.. new byte[VirtioNetHeader.Size], .. icmp.AsSpan(GreCodec.BaseHeaderLength)]);
    }

    // [window] then [selector][length][datagram] (ReceiveTarget): the captured data and keepalives on both paths.
    private static IEnumerable<(string, byte[])> Receive()
    {
        byte[][] data = [.. Vectors("data-ipv4").Select(v => v.Item2)];
        byte[] keepalive = SharedFiles.LoadVector("keepalive-ipv4-b-to-a");
        foreach (byte window in new byte[] { 0, 8 })
        {
            var input = new List<byte> { window };
            for (int i = 0; i < data.Length; i++)
            {
                input.AddRange(ControlTarget.Record((byte)(i & 1), data[i]));
            }

            input.AddRange(ControlTarget.Record(8 | 1, keepalive));
            input.AddRange(ControlTarget.Record(2, data[0]));
            yield return ($"vectors-window{window}", [.. input]);
        }
    }

    // [window][hold] then [op][a][b] (ReorderTarget).
    private static IEnumerable<(string, byte[])> Reorder()
    {
        yield return ("in-order", [8, 10, 4, 0, 0, .. Repeat([0, 1, 0], 30)]);
        yield return ("swapped-pairs", [8, 10, 4, 0, 0, .. Repeat([0, 2, 0, 0, 0xFF, 0], 15)]);
        yield return ("gap-expire", [8, 2, 4, 0, 5, 0, 2, 0, 0, 1, 0, 5, 30, 5, 6, 0, 0, 0, 0xFD, 0, 7, 0, 0]);
        yield return ("jump-restart", [4, 10, 4, 0, 1, 0, 1, 0, 0, 100, 0, 4, 0, 0, 0, 1, 0, 0x87, 0, 0, 0, 1, 0]);
    }
}
