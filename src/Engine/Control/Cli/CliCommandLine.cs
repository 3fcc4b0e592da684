using System.Globalization;
using System.Net;
using MptFast.Engine.Config;

namespace MptFast.Engine.Control.Cli;

/// <summary>Exit codes of <c>mpt</c> for a command line (MPT-SPEC §9.10 step 6).</summary>
public enum CliExitCode
{
    /// <summary>Valid.</summary>
    Ok = 0,

    /// <summary>Not a known command word.</summary>
    UnknownCommand = 1,

    /// <summary>An address that is not a valid IPv4 or IPv6 address.</summary>
    InvalidIp = 3,

    /// <summary>A prefix length that is not a number in 0–32 (IPv4) / 0–128 (IPv6).</summary>
    InvalidPrefix = 4,

    /// <summary>Known command, wrong arguments.</summary>
    WrongParameters = 5,
}

/// <summary>Outcome of <see cref="CliCommandLine.Parse"/>: a command, or an exit code with a message (and the command kind when known, for its help).</summary>
public sealed record CliParseResult(CliCommand? Command, CliExitCode ExitCode, string Message, CliCommandKind? Kind)
{
    /// <summary>True when <see cref="Command"/> is set.</summary>
    public bool Succeeded => Command is not null;
}

/// <summary>
/// The <c>mpt</c> command-line grammar (MPT-SPEC §9.10) with every "Required" fix: <c>addr</c> and <c>address</c>,
/// real IPv4/IPv6 parsing (B60, B61), default prefix 24/64 (B62), malformed reload/restart/save rejected (B63),
/// Linux interface names. Arguments are separated by exactly one space (the CLI joins its arguments that way); an
/// empty argument (double, leading or trailing space) is "wrong parameters". Used by the CLI before sending and by
/// the daemon again on receipt.
/// </summary>
public static class CliCommandLine
{
    /// <summary>Longest Linux interface name (IFNAMSIZ - 1).</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>Parses one command line.</summary>
    public static CliParseResult Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string[] t = line.Split(' ');
        CliCommandKind? kind = t[0] switch
        {
            "show" => CliCommandKind.ShowStatus,
            "path" => CliCommandKind.Path,
            "int" or "interface" => CliCommandKind.Interface,
            "addr" or "address" => CliCommandKind.Address,
            "reload" => CliCommandKind.Reload,
            "restart" => CliCommandKind.Restart,
            "delete" => CliCommandKind.Delete,
            "save" => CliCommandKind.Save,
            "create" => CliCommandKind.Create,
            _ => null,
        };
        if (kind is not CliCommandKind k)
        {
            return new(null, CliExitCode.UnknownCommand, "unknown command '" + Printable(t[0]) + "'", null);
        }

        if (Array.Exists(t, s => s.Length == 0) || line.AsSpan().IndexOfAny("\t\r\n\0") >= 0)
        {
            return Wrong(k, "arguments must be separated by single spaces");
        }

        return k switch
        {
            CliCommandKind.ShowStatus => ParseShow(t),
            CliCommandKind.Path => ParsePath(t),
            CliCommandKind.Interface => ParseInterface(t),
            CliCommandKind.Address => ParseAddress(t),
            CliCommandKind.Delete or CliCommandKind.Create => ParseFile(k, t, optional: false),
            _ => ParseFile(k, t, optional: true),
        };
    }

    /// <summary>Linux interface name: 1–15 of letters, digits, <c>-</c>, <c>_</c>, <c>.</c>, <c>@</c>; not <c>.</c> or <c>..</c>.</summary>
    public static bool IsInterfaceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxInterfaceNameLength || name is "." or "..")
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or '@'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A bare connection file name: 1–255 printable characters, no <c>/</c>, not <c>.</c> or <c>..</c>.</summary>
    public static bool IsFileName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 255 || name is "." or "..")
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c == '/' || char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    private static CliParseResult ParseShow(string[] t) => t switch
    {
        ["show", "status"] => Ok(new ShowStatusCommand(StatusFormat.Text)),
        ["show", "status", "json"] => Ok(new ShowStatusCommand(StatusFormat.Json)),
        ["show", "status", "metrics"] => Ok(new ShowStatusCommand(StatusFormat.Metrics)),
        _ => Wrong(CliCommandKind.ShowStatus, "expected 'show status', 'show status json' or 'show status metrics'"),
    };

    private static CliParseResult ParsePath(string[] t)
    {
        if (t.Length != 4 || t[1] is not ("up" or "down"))
        {
            return Wrong(CliCommandKind.Path, "expected 'path up|down LOCAL REMOTE'");
        }

        if (!TryAddress(t[2], out IPAddress? local))
        {
            return InvalidIp(CliCommandKind.Path, t[2]);
        }

        if (!TryAddress(t[3], out IPAddress? remote))
        {
            return InvalidIp(CliCommandKind.Path, t[3]);
        }

        return local.AddressFamily != remote.AddressFamily
            ? Wrong(CliCommandKind.Path, "LOCAL and REMOTE must both be IPv4 or both IPv6")
            : Ok(new PathCommand(t[1] == "up", local, remote));
    }

    private static CliParseResult ParseInterface(string[] t)
    {
        if (t.Length != 3 || t[2] is not ("up" or "down"))
        {
            return Wrong(CliCommandKind.Interface, "expected 'int IFNAME up|down'");
        }

        return IsInterfaceName(t[1])
            ? Ok(new InterfaceCommand(t[1], t[2] == "up"))
            : Wrong(CliCommandKind.Interface, "'" + Printable(t[1]) + "' is not an interface name (letters, digits, - _ . @, at most 15)");
    }

    private static CliParseResult ParseAddress(string[] t)
    {
        if (t.Length != 5 || t[1] is not ("add" or "del") || t[3] != "dev")
        {
            return Wrong(CliCommandKind.Address, "expected 'addr add|del IP[/LEN] dev IFNAME'");
        }

        if (!IsInterfaceName(t[4]))
        {
            return Wrong(CliCommandKind.Address, "'" + Printable(t[4]) + "' is not an interface name (letters, digits, - _ . @, at most 15)");
        }

        int slash = t[2].IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? t[2] : t[2][..slash];
        if (!TryAddress(addressText, out IPAddress? address))
        {
            return InvalidIp(CliCommandKind.Address, addressText);
        }

        bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int max = v6 ? 128 : 32;
        int length = v6 ? 64 : 24; // B62: the default follows the family
        if (slash >= 0)
        {
            string lengthText = t[2][(slash + 1)..];
            if (lengthText.Length is 0 or > 3 || !lengthText.All(char.IsAsciiDigit)
                || (length = int.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture)) > max)
            {
                return new(null, CliExitCode.InvalidPrefix, "invalid prefix length '" + Printable(lengthText) + "' (0-" + max.ToString(CultureInfo.InvariantCulture) + ")", CliCommandKind.Address);
            }
        }

        return Ok(new AddressCommand(t[1] == "add", new IpPrefix(address, length), t[4]));
    }

    // B63: a malformed argument list is an error, never "act on all connections".
    private static CliParseResult ParseFile(CliCommandKind kind, string[] t, bool optional)
    {
        if (t.Length > 2 || (t.Length == 1 && !optional))
        {
            return Wrong(kind, optional ? "expected '" + t[0] + " [FILE]'" : "expected '" + t[0] + " FILE'");
        }

        string? file = t.Length == 2 ? t[1] : null;
        if (file is not null && !IsFileName(file))
        {
            return Wrong(kind, "'" + Printable(file) + "' is not a connection file name");
        }

        return Ok(kind switch
        {
            CliCommandKind.Reload => new ReloadCommand(file),
            CliCommandKind.Restart => new RestartCommand(file),
            CliCommandKind.Save => new SaveCommand(file),
            CliCommandKind.Delete => new DeleteCommand(file!),
            _ => new CreateCommand(file!),
        });
    }

    // Any valid IPv4 (strict dotted quad) or IPv6 address, as inet_pton reads them (B60).
    private static bool TryAddress(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        if (ConfigAddress.TryParse(text, ipv6: false, out IPAddress v4, out _))
        {
            address = v4;
            return true;
        }

        if (ConfigAddress.TryParse(text, ipv6: true, out IPAddress v6, out _))
        {
            address = v6;
            return true;
        }

        address = null;
        return false;
    }

    private static CliParseResult Ok(CliCommand command) => new(command, CliExitCode.Ok, "", command.Kind);

    private static CliParseResult Wrong(CliCommandKind kind, string message) => new(null, CliExitCode.WrongParameters, "wrong parameters: " + message, kind);

    private static CliParseResult InvalidIp(CliCommandKind kind, string text) =>
        new(null, CliExitCode.InvalidIp, "invalid IP address '" + Printable(text) + "'", kind);

    private static string Printable(string s)
    {
        string head = s.Length > 64 ? s[..64] + "…" : s;
        return string.Concat(head.Select(c => char.IsControl(c) ? '?' : c));
    }
}
