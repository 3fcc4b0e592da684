using System.Globalization;
using System.Net;
using System.Text;

namespace MptFast.Engine.Config;

/// <summary>
/// Reads typed values from one INI section with the original's rules (MPT-SPEC §5.2) and reports every problem
/// as file:line: key: message. A missing section reads as all defaults, as in the original.
/// </summary>
internal sealed class SectionReader
{
    private readonly IniSection? _section;
    private readonly ConfigDiagnostics _diag;

    public SectionReader(IniSection? section, ConfigDiagnostics diag)
    {
        _section = section;
        _diag = diag;
    }

    public ConfigDiagnostics Diagnostics => _diag;

    public bool Exists => _section is not null;

    /// <summary>Line of the section header, 0 when the section is missing.</summary>
    public int HeaderLine => _section?.Line ?? 0;

    public bool Has(string key) => _section is not null && _section.TryGet(key, out _);

    /// <summary>Line of the key, or of the section header when the key is absent.</summary>
    public int LineOf(string key) => _section is not null && _section.TryGet(key, out IniEntry e) ? e.Line : HeaderLine;

    public string? Raw(string key) => _section is not null && _section.TryGet(key, out IniEntry e) ? e.Value : null;

    /// <summary>
    /// A string value; absent → default. A control character other than the dialect's blanks (tab, VT, FF, §5.2) is an
    /// error naming the key, and reads as the default: a lone CR survives the line split and quotes can hold anything,
    /// but values are written back one per line (mpt save, the create reply, §5.10) and shown in status output — found
    /// by fuzzing (fuzz/README.md).
    /// </summary>
    public string String(string key, string defaultValue)
    {
        string? value = Raw(key);
        if (value is null)
        {
            return defaultValue;
        }

        foreach (char ch in value)
        {
            if (char.IsControl(ch) && ch is not ('\t' or '\v' or '\f'))
            {
                _diag.Error(LineOf(key), key, "the value contains a control character (U+" + ((int)ch).ToString("X4", CultureInfo.InvariantCulture)
                    + "); values are written back one per line");
                return defaultValue;
            }
        }

        return value;
    }

    /// <summary>
    /// An integer as C <c>strtol(value, NULL, 0)</c> (MPT-SPEC §5.2): absent → default; empty → 0 with a warning
    /// (B78); leading 0 → octal with a warning (B78); junk after the digits → error naming it; then the range.
    /// </summary>
    public int Int(string key, int defaultValue, int min, int max)
    {
        if (_section is null || !_section.TryGet(key, out IniEntry entry))
        {
            return defaultValue;
        }

        string text = entry.Value;
        long value = IniDocument.ParseCInteger(text, out bool clean, out bool octal);
        if (text.Length == 0)
        {
            _diag.Warn(entry.Line, key, "empty value reads as 0, not the default " + Invariant(defaultValue) + " (as the original, B78)");
        }
        else if (!clean)
        {
            _diag.Error(entry.Line, key, NotANumber(text, octal));
            return defaultValue;
        }
        else if (octal && value != 0)
        {
            _diag.Warn(entry.Line, key, "leading 0 makes '" + text + "' octal: value " + Invariant(value) + " (as the original, B78)");
        }

        if (value < min || value > max)
        {
            bool oneSided = max == int.MaxValue;
            _diag.Error(entry.Line, key,
                oneSided && value > max ? "'" + text + "' is too large" :
                oneSided ? "value " + Invariant(value) + " must be at least " + Invariant(min) :
                "value " + Invariant(value) + " is out of range " + Invariant(min) + "-" + Invariant(max));
            return defaultValue;
        }

        return (int)value;
    }

    /// <summary>An address in one family (the section's <c>ip_ver</c>); absent → the unspecified address.</summary>
    public IPAddress Address(string key, bool ipv6)
    {
        if (_section is null || !_section.TryGet(key, out IniEntry entry))
        {
            return ConfigAddress.Unspecified(ipv6);
        }

        if (!ConfigAddress.TryParse(entry.Value, ipv6, out IPAddress address, out string problem))
        {
            _diag.Error(entry.Line, key, problem);
        }

        return address;
    }

    /// <summary>
    /// A string with a byte limit (the original's fixed buffers, MPT-SPEC §5.11); <paramref name="interfaceName"/>
    /// adds the kernel's rules for interface names (≤ 15 characters, no '/', ':' or blanks).
    /// </summary>
    public string Name(string key, string defaultValue, bool interfaceName)
    {
        string value = String(key, defaultValue);
        int line = LineOf(key);
        if (interfaceName)
        {
            if (value.Length == 0)
            {
                _diag.Error(line, key, "empty interface name");
            }
            else if (Encoding.UTF8.GetByteCount(value) > 15)
            {
                _diag.Error(line, key, "interface name '" + value + "' is longer than 15 characters");
            }
            else if (value is "." or ".." || value.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
            {
                _diag.Error(line, key, "'" + value + "' is not a valid interface name");
            }
        }
        else if (Encoding.UTF8.GetByteCount(value) > 127)
        {
            _diag.Error(line, key, "longer than 127 bytes");
        }

        return value;
    }

    /// <summary>Keys the reader does not know: warnings, with a hint for the manual's misspellings (MPT-SPEC §5.12).</summary>
    public void WarnUnknownKeys(IReadOnlyCollection<string> known)
    {
        if (_section is null)
        {
            return;
        }

        foreach (IniEntry entry in _section.Entries)
        {
            if (!known.Contains(entry.Key))
            {
                string hint = entry.Key switch
                {
                    "gateway_ipaddr" => " (did you mean gw_ipaddr?)",
                    "default_cmd" => " (did you mean cmd_default?)",
                    _ => "",
                };
                _diag.Warn(entry.Line, entry.Key, "unknown key ignored" + hint);
            }
        }
    }

    public IEnumerable<IniEntry> Entries => _section?.Entries ?? [];

    private static string NotANumber(string text, bool octal)
    {
        // The same scan as the value's: strtol's prefix (sign, 0x, leading 0), then the digits it took.
        IniDocument.ParseCInteger(text, out _, out _, out int digitsStart, out int digitsEnd);
        string trimmed = text.Trim();
        if (digitsEnd == digitsStart)
        {
            return "'" + text + "' is not a number";
        }

        return "'" + text + "' is not a number (junk '" + trimmed[digitsEnd..] + "' after the digits" + (octal ? "; a leading 0 means octal)" : ")");
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
