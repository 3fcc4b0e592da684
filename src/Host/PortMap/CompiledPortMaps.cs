using MptFast.Engine.Mapping;
using MptFast.Generated;

namespace MptFast.Host.PortMap;

/// <summary>The build-time port maps (generated <see cref="BakedPortMaps"/>) as runtime tables, by connection file name.</summary>
internal static class CompiledPortMaps
{
    /// <summary>The baked table of <paramref name="fileName"/>, or null when that file was not compiled in.</summary>
    public static PortMapTable? ForFile(string fileName)
    {
        for (int i = 0; i < BakedPortMaps.Count; i++)
        {
            if (string.Equals(BakedPortMaps.FileName(i), fileName, StringComparison.Ordinal))
            {
                var table = new byte[BakedPortMaps.TableLength];
                BakedPortMaps.CopyTable(i, table);
                return PortMapTable.FromTable(table);
            }
        }

        return null;
    }
}
