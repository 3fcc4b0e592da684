using MptFast.Engine.Mapping;
using MptFast.Generated;

namespace MptFast.Host.PortMap;

/// <summary>The build-time port maps (generated <see cref="BakedPortMaps"/>) as runtime tables, by connection file name.</summary>
internal static class CompiledPortMaps
{
    /// <summary>The baked table of <paramref name="fileName"/> (its array, not a copy), or null when that file was not compiled in.</summary>
    public static PortMapTable? ForFile(string fileName)
    {
        int connection = BakedPortMaps.IndexOf(fileName);
        return connection < 0 ? null : ForConnection(connection);
    }

    /// <summary>The baked table of connection <paramref name="connection"/> (0 ≤ connection &lt; <see cref="BakedPortMaps.Count"/>).</summary>
    public static PortMapTable ForConnection(int connection) =>
        PortMapTable.FromBaked(BakedPortMaps.Table(connection), BakedPortMaps.PortMapFingerprint(connection));
}
