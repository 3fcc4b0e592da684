// Parser (STYLE.md "Source generators"): config file text → ConfigFileModel (spec + diagnostics as data).
// Reads with the runtime's own IniDocument and PortMapRules (linked sources), so the build-time table
// and the run-time table come from one parser.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;
using MptFast.Generators.Diagnostics;
using MptFast.Generators.Model;

namespace MptFast.Generators.Parsing
{
    internal static class ConfigFileParser
    {
        /// <summary>MPT-SPEC §2.8, §5.11: at most 20 paths; sections path_N with N ≥ 20 never count.</summary>
        public const int MaxPaths = PortMapRules.MaxPaths;

        /// <summary>
        /// MPT-SPEC §5.1: a connection file is <c>connections/*.conf</c> (case-sensitive suffix, ≥ 5 characters);
        /// <c>interface.conf</c> and <c>conf.template</c> are not connections.
        /// </summary>
        public static bool IsConnectionFile(string path)
        {
            string fileName = FileNameOf(path);
            if (fileName.Length < 5 || !fileName.EndsWith(".conf", StringComparison.Ordinal) ||
                string.Equals(fileName, "interface.conf", StringComparison.Ordinal))
            {
                return false;
            }

            string directory = path.Substring(0, path.Length - fileName.Length).TrimEnd('/', '\\');
            return string.Equals(FileNameOf(directory), "connections", StringComparison.Ordinal);
        }

        public static string FileNameOf(string path)
        {
            int slash = path.LastIndexOfAny(new[] { '/', '\\' });
            return slash < 0 ? path : path.Substring(slash + 1);
        }

        /// <summary>Parses one marked config file; only connection files get a spec, every file gets syntax diagnostics.</summary>
        public static ConfigFileModel Parse(string path, SourceText? text, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            if (text is null)
            {
                diagnostics.Add(new DiagnosticInfo(PortMapDiagnostics.SyntaxErrorId, path, 1, 1, 0, 0, "cannot read the config file"));
                return new ConfigFileModel(null, diagnostics.ToImmutableEquatableArray());
            }

            string content = text.ToString();
            IniDocument document = IniDocument.Parse(content);
            var positions = new LinePositions(path, text);
            foreach (IniSyntaxError error in document.Errors)
            {
                diagnostics.Add(positions.AtLineStart(PortMapDiagnostics.SyntaxErrorId, error.Line, error.Message));
            }

            ConnectionPortMapSpec? spec = null;
            if (IsConnectionFile(path))
            {
                cancellationToken.ThrowIfCancellationRequested();
                spec = ParseConnection(path, content, document, positions, diagnostics);
            }

            return new ConfigFileModel(spec, diagnostics.ToImmutableEquatableArray());
        }

        private static ConnectionPortMapSpec ParseConnection(
            string path, string content, IniDocument document, LinePositions positions, List<DiagnosticInfo> diagnostics)
        {
            string connectionName = "connection"; // MPT-SPEC §5.4 default
            int pathCount = 0;
            if (document.TryGetSection("connection", out IniSection connection))
            {
                if (connection.TryGet("name", out IniEntry name))
                {
                    connectionName = name.Value;
                }

                // MPT-SPEC §5.2: integers are read as C strtol(value, NULL, 0).
                if (connection.TryGet("path_count", out IniEntry count))
                {
                    long parsed = IniDocument.ParseCInteger(count.Value, out _, out _);
                    pathCount = (int)Math.Max(0, Math.Min(MaxPaths, parsed));
                }
            }

            var rules = new List<PathPortMapSpec>();
            var entries = new List<IniEntry>();
            var ranges = new List<PortRange>();

            // MPT-SPEC §5.5: sections path_N with N ≥ path_count are ignored, as the runtime does.
            for (int pathIndex = 0; pathIndex < pathCount; pathIndex++)
            {
                if (!document.TryGetSection("path_" + pathIndex.ToString(CultureInfo.InvariantCulture), out IniSection section))
                {
                    continue;
                }

                foreach (IniEntry entry in section.Entries)
                {
                    if (!PortMapRules.TryGetKey(entry.Key, out _) && LooksLikePortMapKey(entry.Key))
                    {
                        diagnostics.Add(positions.AtLineStart(
                            PortMapDiagnostics.UnknownKeyId,
                            entry.Line,
                            "'" + entry.Key + "' in [" + section.Name + "] is not a port-map key (use tcp_src, tcp_dst, udp_src or udp_dst)"));
                    }
                }

                for (int k = 0; k < PortMapRules.KeyCount; k++)
                {
                    var key = (PortMapKey)k;
                    if (!section.TryGet(PortMapRules.KeyName(key), out IniEntry entry))
                    {
                        continue;
                    }

                    ranges.Clear();
                    if (!PortMapRules.TryParse(entry.Value, ranges, out PortRuleError error))
                    {
                        string id = error.Kind == PortRuleErrorKind.ReversedRange ? PortMapDiagnostics.ReversedRangeId : PortMapDiagnostics.BadPortId;
                        diagnostics.Add(positions.At(
                            id,
                            entry.Line,
                            entry.ValueColumn + error.Column,
                            TokenLength(entry.Value, error.Column),
                            "[" + section.Name + "] " + entry.Key + ": " + error.Message));
                        continue;
                    }

                    if (ranges.Count > 0)
                    {
                        rules.Add(new PathPortMapSpec(pathIndex, key, ranges.ToImmutableEquatableArray()));
                        entries.Add(entry);
                    }
                }
            }

            ReportConflicts(rules, entries, positions, diagnostics);
            string fileName = FileNameOf(path);
            return new ConnectionPortMapSpec(
                fileName,
                IdentifierOf(fileName),
                connectionName,
                pathCount,
                PortMapRules.Sha256Hex(content), // lower-case hex SHA-256 of the file text as UTF-8 (no BOM)
                rules.ToImmutableEquatableArray());
        }

        /// <summary>MPT-SPEC §5.7: a port listed for two paths under one key. One diagnostic per (key, path pair), at the later path's first clashing token.</summary>
        private static void ReportConflicts(List<PathPortMapSpec> rules, List<IniEntry> entries, LinePositions positions, List<DiagnosticInfo> diagnostics)
        {
            var conflicts = new List<PortMapConflict>();
            var asRules = new List<PortMapRule>(rules.Count);
            foreach (PathPortMapSpec rule in rules)
            {
                asRules.Add(new PortMapRule(rule.PathIndex, rule.Key, new List<PortRange>(rule.Ranges)));
            }

            PortMapRules.BuildTable(asRules, conflicts);
            if (conflicts.Count == 0)
            {
                return;
            }

            // Group the clashing ports per (key, first path, second path) into ranges, first-seen order.
            var groups = new List<ConflictGroup>();
            foreach (PortMapConflict conflict in conflicts)
            {
                ConflictGroup? group = null;
                foreach (ConflictGroup candidate in groups)
                {
                    if (candidate.Key == conflict.Key && candidate.FirstPath == conflict.FirstPath && candidate.SecondPath == conflict.SecondPath)
                    {
                        group = candidate;
                        break;
                    }
                }

                if (group is null)
                {
                    group = new ConflictGroup(conflict.Key, conflict.FirstPath, conflict.SecondPath);
                    groups.Add(group);
                }

                group.Add(conflict.Port);
            }

            foreach (ConflictGroup group in groups)
            {
                IniEntry entry = EntryOf(rules, entries, group.SecondPath, group.Key);
                int column = TokenColumnContaining(entry.Value, group.FirstSeenPort);
                string keyName = PortMapRules.KeyName(group.Key);
                string message = keyName + " " + group.Describe() + " mapped to both path_" +
                    group.FirstPath.ToString(CultureInfo.InvariantCulture) + " and path_" +
                    group.SecondPath.ToString(CultureInfo.InvariantCulture) + " (a port may map to one path only)";
                diagnostics.Add(positions.At(
                    PortMapDiagnostics.PortConflictId, entry.Line, entry.ValueColumn + column, TokenLength(entry.Value, column), message));
            }
        }

        private static IniEntry EntryOf(List<PathPortMapSpec> rules, List<IniEntry> entries, int pathIndex, PortMapKey key)
        {
            for (int i = 0; i < rules.Count; i++)
            {
                if (rules[i].PathIndex == pathIndex && rules[i].Key == key)
                {
                    return entries[i];
                }
            }

            throw new InvalidOperationException("conflict without its rule");
        }

        /// <summary>The 0-based column of the first token of <paramref name="value"/> whose range holds <paramref name="port"/>.</summary>
        private static int TokenColumnContaining(string value, int port)
        {
            var ranges = new List<PortRange>(1);
            int i = 0;
            while (i < value.Length)
            {
                int length = TokenLength(value, i);
                if (length == 0)
                {
                    i++;
                    continue;
                }

                ranges.Clear();
                if (PortMapRules.TryParse(value.Substring(i, length), ranges, out _) &&
                    ranges.Count == 1 && ranges[0].First <= port && port <= ranges[0].Last)
                {
                    return i;
                }

                i += length;
            }

            return 0;
        }

        /// <summary>Length of the port-list token starting at <paramref name="start"/> (separators as PortMapRules).</summary>
        private static int TokenLength(string value, int start)
        {
            int end = start;
            while (end < value.Length && value[end] != ' ' && value[end] != ',' && value[end] != ':' && value[end] != ';' && value[end] != '\t')
            {
                end++;
            }

            return end - start;
        }

        private static bool LooksLikePortMapKey(string key) =>
            key.StartsWith("tcp", StringComparison.Ordinal) || key.StartsWith("udp", StringComparison.Ordinal);

        /// <summary>A C# identifier from a file name: <c>tunnel.conf</c> → <c>Tunnel</c>, <c>peer_10.0.0.1.conf</c> → <c>Peer_10_0_0_1</c>.</summary>
        internal static string IdentifierOf(string fileName)
        {
            string stem = fileName.EndsWith(".conf", StringComparison.Ordinal) ? fileName.Substring(0, fileName.Length - 5) : fileName;
            var builder = new StringBuilder(stem.Length + 1);
            foreach (char c in stem)
            {
                builder.Append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
            }

            if (builder.Length == 0 || (builder[0] >= '0' && builder[0] <= '9'))
            {
                builder.Insert(0, '_');
            }

            builder[0] = char.ToUpperInvariant(builder[0]);
            return builder.ToString();
        }
    }
}
