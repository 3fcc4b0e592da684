using System.Globalization;
using System.Text;
using MptFast.Engine.Mapping;
using MptFast.Generated;

namespace MptFast.Host.PortMap;

/// <summary>Renders the port maps baked in at build time (`mptfast --print-portmap`).</summary>
internal static class BakedPortMapReport
{
    /// <summary>Per connection file: each key's port ranges and the path they map to (MPT-SPEC §5.7), read back from the baked table.</summary>
    internal static string Describe()
    {
        var text = new StringBuilder();
        if (BakedPortMaps.Count == 0)
        {
            return "no port maps baked in (the build had no connection files)\n";
        }

        // Read back from the baked table the daemon would use, so the report shows what the lookup really holds, not the config text.
        var table = new byte[PortMapRules.KeyCount * PortMapRules.PortsPerKey];
        var ranges = new List<PortRange>();
        for (int connection = 0; connection < BakedPortMaps.Count; connection++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{BakedPortMaps.FileName(connection)} (name {BakedPortMaps.ConnectionName(connection)}, path_count {BakedPortMaps.PathCount(connection)}, sha256 {BakedPortMaps.SourceConfigHash(connection)})\n");
            CompiledPortMaps.ForConnection(connection).CopyTo(table);
            bool any = false;
            for (int key = 0; key < PortMapRules.KeyCount; key++)
            {
                ReadOnlySpan<byte> ports = table.AsSpan(key * PortMapRules.PortsPerKey, PortMapRules.PortsPerKey);
                for (int path = 0; path < PortMapRules.NoPath; path++)
                {
                    RangesOf(ports, (byte)path, ranges);
                    if (ranges.Count > 0)
                    {
                        any = true;
                        text.Append(CultureInfo.InvariantCulture, $"  {PortMapRules.KeyNames[key],-7} {PortMapRules.Format(ranges)} -> path_{path}\n");
                    }
                }
            }

            if (!any)
            {
                text.Append("  (no port maps)\n");
            }
        }

        return text.ToString();
    }

    private static void RangesOf(ReadOnlySpan<byte> ports, byte path, List<PortRange> ranges)
    {
        ranges.Clear();
        int port = ports.IndexOf(path);
        while (port >= 0)
        {
            int length = ports[port..].IndexOfAnyExcept(path);
            int last = length < 0 ? ports.Length - 1 : port + length - 1;
            ranges.Add(new PortRange(port, last));
            int next = ports[(last + 1)..].IndexOf(path);
            port = next < 0 ? -1 : last + 1 + next;
        }
    }
}
