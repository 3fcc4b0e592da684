// The cached model of one connection file (STYLE.md "Source generators": Spec records, value
// equality, no Roslyn symbols or locations).
using MptFast.Engine.Mapping;

namespace MptFast.Generators.Model
{
    /// <summary>One key of one path: every port in <see cref="Ranges"/> maps to <see cref="PathIndex"/> (MPT-SPEC §5.7).</summary>
    internal sealed record PathPortMapSpec(int PathIndex, PortMapKey Key, ImmutableEquatableArray<PortRange> Ranges);

    /// <summary>
    /// The port maps of one connection file (MPT-SPEC §5.1: the file name is the connection's identity).
    /// <see cref="Rules"/> are in path order, then key order — the order <see cref="PortMapRules.BuildTable"/> needs
    /// so that, on a conflict, the lower path is kept exactly as at run time.
    /// </summary>
    internal sealed record ConnectionPortMapSpec(
        string FileName,
        string Identifier,
        string ConnectionName,
        int PathCount,
        string SourceConfigHash,
        ImmutableEquatableArray<PathPortMapSpec> Rules);
}
