using MptFast.Engine.Classify;

namespace MptFast.Bench;

/// <summary>Random flow keys for the per-packet lookups: about half hit a port of the example port map.</summary>
internal static class BenchFlows
{
    /// <summary>Flow keys per benchmark invocation (OperationsPerInvoke).</summary>
    public const int Count = 1024;

    // bench/PortMapConfig: tcp_dst 80 443 8080 22, udp_dst 53 123, tcp_src 5001, udp_src 5001.
    private static readonly ushort[] MappedPorts = [80, 443, 8080, 22, 53, 123, 5001];

    public static FlowKey[] Create(int seed)
    {
        var random = new Random(seed);
        var keys = new FlowKey[Count];
        for (int i = 0; i < keys.Length; i++)
        {
            int kind = random.Next(16);
            if (kind == 0)
            {
                keys[i] = new FlowKey(4, 1, 0, 0, false); // ICMP: never mapped
                continue;
            }

            byte protocol = kind < 10 ? FlowKey.Tcp : FlowKey.Udp;
            ushort source = (ushort)random.Next(1024, 65536);
            ushort destination = (ushort)random.Next(1, 65536);
            switch (random.Next(4))
            {
                case 0:
                    destination = MappedPorts[random.Next(MappedPorts.Length)];
                    break;
                case 1:
                    source = 5001;
                    break;
            }

            keys[i] = new FlowKey(4, protocol, source, destination, true);
        }

        return keys;
    }
}
