// MPT-SPEC §5.7, §6.4: the port-map rules (`tcp_src`, `tcp_dst`, `udp_src`, `udp_dst`).
//
// This one file is compiled into both the runtime (src/Engine) and the build-time source generator
// (src/Generators, netstandard2.0, linked source), so the table baked at build time and the table
// built at run time come from the same parser and cannot disagree. Keep it netstandard2.0-clean:
// no Span-only APIs, no Engine types, no implicit usings.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MptFast.Engine.Mapping
{
    /// <summary>The four port-map keys of a <c>[path_N]</c> section, in lookup-table order.</summary>
    public enum PortMapKey
    {
        TcpSrc = 0,
        TcpDst = 1,
        UdpSrc = 2,
        UdpDst = 3,
    }

    /// <summary>An inclusive port range; a single port has <c>First == Last</c>.</summary>
    public readonly struct PortRange : IEquatable<PortRange>
    {
        public PortRange(int first, int last)
        {
            First = first;
            Last = last;
        }

        public int First { get; }

        public int Last { get; }

        public bool Equals(PortRange other) => First == other.First && Last == other.Last;

        public override bool Equals(object? obj) => obj is PortRange other && Equals(other);

        public override int GetHashCode() => (First * 65537) ^ Last;

        public override string ToString() =>
            First == Last
                ? First.ToString(CultureInfo.InvariantCulture)
                : First.ToString(CultureInfo.InvariantCulture) + "-" + Last.ToString(CultureInfo.InvariantCulture);

        public static bool operator ==(PortRange left, PortRange right) => left.Equals(right);

        public static bool operator !=(PortRange left, PortRange right) => !left.Equals(right);
    }

    /// <summary>What is wrong with a port list (the generator maps each kind to its own diagnostic id).</summary>
    public enum PortRuleErrorKind
    {
        /// <summary>A token is not a decimal port 1..65535 (junk, empty, 0 or above 65535).</summary>
        BadPort = 0,

        /// <summary>A range <c>first-last</c> with <c>last &lt; first</c>.</summary>
        ReversedRange = 1,
    }

    /// <summary>One problem found in a port list; <see cref="Column"/> is 0-based within the value.</summary>
    public readonly struct PortRuleError
    {
        public PortRuleError(int column, string message)
            : this(column, message, PortRuleErrorKind.BadPort)
        {
        }

        public PortRuleError(int column, string message, PortRuleErrorKind kind)
        {
            Column = column;
            Message = message;
            Kind = kind;
        }

        public int Column { get; }

        public string Message { get; }

        public PortRuleErrorKind Kind { get; }
    }

    /// <summary>One path's rule: every port in <see cref="Ranges"/> of <see cref="Key"/> maps to <see cref="PathIndex"/>.</summary>
    public readonly struct PortMapRule
    {
        public PortMapRule(int pathIndex, PortMapKey key, IReadOnlyList<PortRange> ranges)
        {
            PathIndex = pathIndex;
            Key = key;
            Ranges = ranges;
        }

        public int PathIndex { get; }

        public PortMapKey Key { get; }

        public IReadOnlyList<PortRange> Ranges { get; }
    }

    /// <summary>A port listed for two different paths under the same key (MPT-SPEC §5.7: the original lets the higher path win silently; we reject).</summary>
    public readonly struct PortMapConflict
    {
        public PortMapConflict(PortMapKey key, int port, int firstPath, int secondPath)
        {
            Key = key;
            Port = port;
            FirstPath = firstPath;
            SecondPath = secondPath;
        }

        public PortMapKey Key { get; }

        public int Port { get; }

        public int FirstPath { get; }

        public int SecondPath { get; }
    }

    public static class PortMapRules
    {
        /// <summary>Table entry for "not mapped". Path indices are 0..<see cref="MaxPaths"/> - 1.</summary>
        public const byte NoPath = 0xFF;

        /// <summary>Paths of a connection (MPT-SPEC §2.8). The lookup relies on path entries being below 0x80.</summary>
        public const int MaxPaths = 20;

        /// <summary>Ports per key table.</summary>
        public const int PortsPerKey = 65536;

        /// <summary>Number of key tables.</summary>
        public const int KeyCount = 4;

        private static readonly string[] s_keyNames = { "tcp_src", "tcp_dst", "udp_src", "udp_dst" };

        /// <summary>The config key names, indexed by <see cref="PortMapKey"/>.</summary>
        public static IReadOnlyList<string> KeyNames => s_keyNames;

        public static string KeyName(PortMapKey key) => s_keyNames[(int)key];

        /// <summary>Maps a (lower-case) config key to its <see cref="PortMapKey"/>.</summary>
        public static bool TryGetKey(string name, out PortMapKey key)
        {
            for (int i = 0; i < s_keyNames.Length; i++)
            {
                if (string.Equals(s_keyNames[i], name, StringComparison.OrdinalIgnoreCase))
                {
                    key = (PortMapKey)i;
                    return true;
                }
            }

            key = default;
            return false;
        }

        /// <summary>
        /// Parses a port list. Separators as the original (MPT-SPEC §5.7): space, ',' and ':' — plus TAB
        /// (the original silently stops at a TAB, B79). Extension: inclusive ranges <c>1000-2000</c>.
        /// Every token must be a decimal number 1..65535 (the original turns junk into port 0 and wraps
        /// values at 65536; we report an error instead, B79). Returns false and the first error.
        /// </summary>
        public static bool TryParse(string value, List<PortRange> ranges, out PortRuleError error)
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(value));
            }

            if (ranges is null)
            {
                throw new ArgumentNullException(nameof(ranges));
            }

            int i = 0;
            while (i < value.Length)
            {
                if (IsSeparator(value[i]))
                {
                    i++;
                    continue;
                }

                int start = i;
                while (i < value.Length && !IsSeparator(value[i]))
                {
                    i++;
                }

                string token = value.Substring(start, i - start);
                int dash = token.IndexOf('-');
                if (dash < 0)
                {
                    if (!TryParsePort(token, start, out int port, out error))
                    {
                        return false;
                    }

                    ranges.Add(new PortRange(port, port));
                }
                else
                {
                    if (!TryParsePort(token.Substring(0, dash), start, out int first, out error) ||
                        !TryParsePort(token.Substring(dash + 1), start + dash + 1, out int last, out error))
                    {
                        return false;
                    }

                    if (last < first)
                    {
                        error = new PortRuleError(start, "port range '" + token + "' is reversed (first port above last)", PortRuleErrorKind.ReversedRange);
                        return false;
                    }

                    ranges.Add(new PortRange(first, last));
                }
            }

            error = default;
            return true;
        }

        /// <summary>Formats ranges the way <see cref="TryParse"/> reads them (space separated).</summary>
        public static string Format(IReadOnlyList<PortRange> ranges)
        {
            var parts = new string[ranges.Count];
            for (int i = 0; i < ranges.Count; i++)
            {
                parts[i] = ranges[i].ToString();
            }

            return string.Join(" ", parts);
        }

        /// <summary>
        /// Builds the flat lookup table: <see cref="KeyCount"/> × <see cref="PortsPerKey"/> bytes, entry
        /// [key * 65536 + port] = path index or <see cref="NoPath"/>. A port listed under one key for two
        /// different paths is a conflict (reported, first path kept); listing it twice for the same path
        /// is harmless.
        /// </summary>
        public static byte[] BuildTable(IEnumerable<PortMapRule> rules, List<PortMapConflict>? conflicts)
        {
            var table = new byte[KeyCount * PortsPerKey];
            for (int i = 0; i < table.Length; i++)
            {
                table[i] = NoPath;
            }

            foreach (PortMapRule rule in rules)
            {
                if (rule.PathIndex < 0 || rule.PathIndex >= MaxPaths)
                {
                    throw new ArgumentOutOfRangeException(nameof(rules), "path index out of range");
                }

                int baseIndex = (int)rule.Key * PortsPerKey;
                foreach (PortRange range in rule.Ranges)
                {
                    // Port 0 is never mapped: a packet without ports carries 0 (FlowKey), and the lookup relies on it.
                    if (range.First < 1 || range.Last > PortsPerKey - 1)
                    {
                        throw new ArgumentOutOfRangeException(nameof(rules), "port range " + range + " is outside 1-65535");
                    }

                    for (int port = range.First; port <= range.Last; port++)
                    {
                        byte existing = table[baseIndex + port];
                        if (existing == NoPath || existing == rule.PathIndex)
                        {
                            table[baseIndex + port] = (byte)rule.PathIndex;
                        }
                        else
                        {
                            conflicts?.Add(new PortMapConflict(rule.Key, port, existing, rule.PathIndex));
                        }
                    }
                }
            }

            return table;
        }

        /// <summary>
        /// Identity of a rule set: lower-case hex SHA-256 over one line per rule with ports, "path key ranges", in the
        /// given order (path, then key, as both the runtime and the generator list them). Equal fingerprints mean
        /// <see cref="BuildTable"/> builds equal tables, so the daemon may use a table baked at build time instead of
        /// building one when the loaded file's fingerprint equals the baked one.
        /// </summary>
        public static string Fingerprint(IEnumerable<PortMapRule> rules)
        {
            if (rules is null)
            {
                throw new ArgumentNullException(nameof(rules));
            }

            var text = new StringBuilder();
            foreach (PortMapRule rule in rules)
            {
                if (rule.Ranges.Count > 0)
                {
                    text.Append(rule.PathIndex.ToString(CultureInfo.InvariantCulture)).Append(' ')
                        .Append(KeyName(rule.Key)).Append(' ').Append(Format(rule.Ranges)).Append('\n');
                }
            }

            return Sha256Hex(text.ToString());
        }

        /// <summary>Lower-case hex SHA-256 of <paramref name="text"/> as UTF-8 (no BOM).</summary>
        internal static string Sha256Hex(string text)
        {
            byte[] hash;
            using (SHA256 sha = SHA256.Create())
            {
                hash = sha.ComputeHash(new UTF8Encoding(false).GetBytes(text));
            }

            var hex = new StringBuilder(hash.Length * 2);
            foreach (byte b in hash)
            {
                hex.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }

            return hex.ToString();
        }

        private static bool IsSeparator(char c) => c == ' ' || c == ',' || c == ':' || c == ';' || c == '\t';

        private static bool TryParsePort(string text, int column, out int port, out PortRuleError error)
        {
            port = 0;
            if (text.Length == 0)
            {
                error = new PortRuleError(column, "empty port in a range");
                return false;
            }

            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c < '0' || c > '9')
                {
                    error = new PortRuleError(column, "'" + text + "' is not a port number");
                    return false;
                }

                port = (port * 10) + (c - '0');
                if (port > 65535)
                {
                    error = new PortRuleError(column, "port " + text + " is out of range 1-65535");
                    return false;
                }
            }

            if (port == 0)
            {
                error = new PortRuleError(column, "port 0 is out of range 1-65535");
                return false;
            }

            error = default;
            return true;
        }
    }
}
