// The generator's diagnostics (all errors, category MptFast). Messages are composed by the parser
// and carried as data (Model/DiagnosticInfo); these descriptors only give id, title and severity.
using Microsoft.CodeAnalysis;

namespace MptFast.Generators.Diagnostics
{
    internal static class PortMapDiagnostics
    {
        public const string Category = "MptFast";

        public const string BadPortId = "MPT0001";
        public const string ReversedRangeId = "MPT0002";
        public const string PortConflictId = "MPT0003";
        public const string UnknownKeyId = "MPT0004";
        public const string SyntaxErrorId = "MPT0005";

        /// <summary>MPT-SPEC §5.7: a token that is not a port 1..65535 (the original silently makes it 0 or wraps it).</summary>
        public static readonly DiagnosticDescriptor BadPort = Create(BadPortId, "Bad port in a port map");

        /// <summary>Extension of §5.7: a range <c>first-last</c> whose first port is above its last.</summary>
        public static readonly DiagnosticDescriptor ReversedRange = Create(ReversedRangeId, "Reversed port range");

        /// <summary>MPT-SPEC §5.7: the original lets the higher path win silently; we reject.</summary>
        public static readonly DiagnosticDescriptor PortConflict = Create(PortConflictId, "Port mapped to two paths");

        /// <summary>A <c>[path_N]</c> key that looks like a port map but is none of the four: the original ignores it silently.</summary>
        public static readonly DiagnosticDescriptor UnknownKey = Create(UnknownKeyId, "Unknown port-map key");

        /// <summary>MPT-SPEC §5.2: a line the INI grammar rejects (the original rejects the whole file, B76), or an unreadable file.</summary>
        public static readonly DiagnosticDescriptor SyntaxError = Create(SyntaxErrorId, "Unreadable config line");

        public static DiagnosticDescriptor ForId(string id)
        {
            switch (id)
            {
                case BadPortId: return BadPort;
                case ReversedRangeId: return ReversedRange;
                case PortConflictId: return PortConflict;
                case UnknownKeyId: return UnknownKey;
                default: return SyntaxError;
            }
        }

        private static DiagnosticDescriptor Create(string id, string title) =>
            new DiagnosticDescriptor(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
    }
}
