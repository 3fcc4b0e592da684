// MPT-SPEC §5.2: the INI dialect of the original's bundled iniparser, read line by line with
// positions kept, so every later error can name file:line (and the generator file:line:column).
//
// Compiled into both the runtime and the build-time generator (linked source, netstandard2.0):
// no implicit usings, no Span-only APIs, no Engine types.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MptFast.Engine.Config
{
    /// <summary>One <c>key = value</c> line. Line is 1-based; ValueColumn is 1-based within that line.</summary>
    public sealed class IniEntry
    {
        public IniEntry(string key, string value, int line, int valueColumn)
        {
            Key = key;
            Value = value;
            Line = line;
            ValueColumn = valueColumn;
        }

        /// <summary>Lower-cased, trimmed key.</summary>
        public string Key { get; }

        /// <summary>The value with quotes and inline comments removed, trimmed (case kept).</summary>
        public string Value { get; }

        public int Line { get; }

        public int ValueColumn { get; }
    }

    /// <summary>A section; repeating a section header merges into the same object, as the original.</summary>
    public sealed class IniSection
    {
        private readonly Dictionary<string, IniEntry> _entries = new Dictionary<string, IniEntry>(StringComparer.Ordinal);
        private readonly List<string> _order = new List<string>();

        public IniSection(string name, int line)
        {
            Name = name;
            Line = line;
        }

        /// <summary>Lower-cased, trimmed section name; "" for keys before the first header.</summary>
        public string Name { get; }

        /// <summary>Line of the first header (0 for the implicit "" section).</summary>
        public int Line { get; }

        /// <summary>Entries in first-seen order; a duplicate key keeps its first position but the last value (last one wins).</summary>
        public IEnumerable<IniEntry> Entries
        {
            get
            {
                foreach (string key in _order)
                {
                    yield return _entries[key];
                }
            }
        }

        public bool TryGet(string key, out IniEntry entry)
        {
            if (_entries.TryGetValue(key, out IniEntry? found))
            {
                entry = found;
                return true;
            }

            entry = null!;
            return false;
        }

        internal void Set(IniEntry entry)
        {
            if (!_entries.ContainsKey(entry.Key))
            {
                _order.Add(entry.Key);
            }

            _entries[entry.Key] = entry;
        }
    }

    /// <summary>A syntax error: the original rejects the whole file for one bad line (B76); we name the line.</summary>
    public sealed class IniSyntaxError
    {
        public IniSyntaxError(int line, string message)
        {
            Line = line;
            Message = message;
        }

        public int Line { get; }

        public string Message { get; }
    }

    public sealed class IniDocument
    {
        /// <summary>The original reads at most this many characters per line (§5.2).</summary>
        public const int MaxLineLength = 1024;

        private readonly Dictionary<string, IniSection> _sections = new Dictionary<string, IniSection>(StringComparer.Ordinal);
        private readonly List<IniSection> _order = new List<IniSection>();

        private IniDocument()
        {
        }

        public IReadOnlyList<IniSection> Sections => _order;

        public List<IniSyntaxError> Errors { get; } = new List<IniSyntaxError>();

        public bool TryGetSection(string name, out IniSection section)
        {
            if (_sections.TryGetValue(name, out IniSection? found))
            {
                section = found;
                return true;
            }

            section = null!;
            return false;
        }

        /// <summary>Parses a whole file's text. Never throws on content; problems land in <see cref="Errors"/>.</summary>
        public static IniDocument Parse(string text)
        {
            if (text is null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            var doc = new IniDocument();
            string[] lines = text.Replace("\r\n", "\n").Split('\n');
            IniSection current = doc.GetOrAdd(string.Empty, 0);
            var pending = new StringBuilder();
            int pendingStart = 0;

            for (int i = 0; i < lines.Length; i++)
            {
                int lineNo = i + 1;
                string raw = lines[i];
                if (raw.Length > MaxLineLength)
                {
                    doc.Errors.Add(new IniSyntaxError(lineNo, "line longer than " + MaxLineLength.ToString(CultureInfo.InvariantCulture) + " characters"));
                    continue;
                }

                // A trailing backslash continues the line; the next line's leading blanks are kept (§5.2).
                string trimmedEnd = raw.TrimEnd(Blanks);
                if (trimmedEnd.EndsWith("\\", StringComparison.Ordinal))
                {
                    if (pending.Length == 0)
                    {
                        pendingStart = lineNo;
                    }

                    pending.Append(trimmedEnd, 0, trimmedEnd.Length - 1);
                    continue;
                }

                int startLine = lineNo;
                int columnOffset = 0;
                if (pending.Length > 0)
                {
                    pending.Append(raw);
                    raw = pending.ToString();
                    pending.Clear();
                    startLine = pendingStart;
                    columnOffset = 0;
                }

                current = doc.ParseLine(raw, startLine, columnOffset, current);
            }

            if (pending.Length > 0)
            {
                doc.ParseLine(pending.ToString(), pendingStart, 0, current);
            }

            return doc;
        }

        private IniSection ParseLine(string raw, int lineNo, int columnOffset, IniSection current)
        {
            string line = raw.Trim(Blanks);
            if (line.Length == 0 || line[0] == '#' || line[0] == ';')
            {
                return current;
            }

            if (line[0] == '[')
            {
                int close = line.IndexOf(']');
                if (close < 0)
                {
                    Errors.Add(new IniSyntaxError(lineNo, "section header without ']'"));
                    return current;
                }

                string name = line.Substring(1, close - 1).Trim(Blanks).ToLowerInvariant();
                return GetOrAdd(name, lineNo);
            }

            int eq = line.IndexOf('=');
            if (eq <= 0)
            {
                Errors.Add(new IniSyntaxError(lineNo, eq == 0 ? "'=' without a key" : "expected 'key = value', '[section]' or a comment"));
                return current;
            }

            string key = line.Substring(0, eq).Trim(Blanks).ToLowerInvariant();
            int leading = raw.Length - raw.TrimStart(Blanks).Length;
            int valueStart = eq + 1;
            while (valueStart < line.Length && IsBlank(line[valueStart]))
            {
                valueStart++;
            }

            string rest = line.Substring(valueStart);
            string value;
            if (rest.Length > 0 && (rest[0] == '"' || rest[0] == '\''))
            {
                int end = rest.IndexOf(rest[0], 1);
                value = end < 0 ? rest.Substring(1) : rest.Substring(1, end - 1);
                valueStart++; // ValueColumn names the value's first character, not the opening quote
            }
            else
            {
                int cut = rest.IndexOfAny(CommentChars);
                value = (cut < 0 ? rest : rest.Substring(0, cut)).Trim(Blanks);
            }

            current.Set(new IniEntry(key, value, lineNo, columnOffset + leading + valueStart + 1));
            return current;
        }

        private IniSection GetOrAdd(string name, int line)
        {
            if (!_sections.TryGetValue(name, out IniSection? section))
            {
                section = new IniSection(name, line);
                _sections.Add(name, section);
                _order.Add(section);
            }

            return section;
        }

        private static bool IsBlank(char c) => Array.IndexOf(Blanks, c) >= 0;

        private static readonly char[] Blanks = { ' ', '\t', '\r', '\n', '\v', '\f' };

        private static readonly char[] CommentChars = { ';', '#' };

        /// <summary>
        /// C <c>strtol(value, NULL, 0)</c> as the original reads integers (§5.2): optional sign, <c>0x</c> hex,
        /// leading-0 octal, stops at the first invalid character, no digits → 0, empty → 0.
        /// <paramref name="clean"/> is false when characters were ignored or the value was empty, and
        /// <paramref name="octal"/> is true when a leading zero made it octal — callers warn or reject.
        /// </summary>
        public static long ParseCInteger(string value, out bool clean, out bool octal) =>
            ParseCInteger(value, out clean, out octal, out _, out _);

        /// <summary>
        /// As above; <paramref name="digitsStart"/> and <paramref name="digitsEnd"/> delimit the digits read in the
        /// value trimmed of blanks (equal when none was), so a caller can name what came after them.
        /// </summary>
        public static long ParseCInteger(string value, out bool clean, out bool octal, out int digitsStart, out int digitsEnd)
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(value));
            }

            octal = false;
            string s = value.Trim(Blanks);
            int i = 0;
            bool negative = false;
            if (i < s.Length && (s[i] == '+' || s[i] == '-'))
            {
                negative = s[i] == '-';
                i++;
            }

            int radix = 10;
            if (i + 1 < s.Length && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') && i + 2 < s.Length && HexDigit(s[i + 2]) >= 0)
            {
                radix = 16;
                i += 2;
            }
            else if (i < s.Length && s[i] == '0' && i + 1 < s.Length)
            {
                radix = 8;
                octal = true;
            }

            digitsStart = i;
            long result = 0;
            while (i < s.Length)
            {
                int d = HexDigit(s[i]);
                if (d < 0 || d >= radix)
                {
                    break;
                }

                result = (result * radix) + d;
                if (result > int.MaxValue * 16L)
                {
                    result = int.MaxValue * 16L; // saturate; range validation reports it
                }

                i++;
            }

            clean = s.Length > 0 && i == s.Length && i > digitsStart;
            digitsEnd = i;
            return negative ? -result : result;
        }

        private static int HexDigit(char c)
        {
            if (c >= '0' && c <= '9')
            {
                return c - '0';
            }

            if (c >= 'a' && c <= 'f')
            {
                return c - 'a' + 10;
            }

            if (c >= 'A' && c <= 'F')
            {
                return c - 'A' + 10;
            }

            return -1;
        }
    }
}
