using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MptFast.Engine.Config;

/// <summary>
/// Address text as the original reads it with <c>inet_pton</c> in the family of the section's <c>ip_ver</c>
/// (MPT-SPEC §5.2) — strict, unlike <see cref="IPAddress.TryParse(string, out IPAddress)"/>, which also takes
/// <c>1.2.3</c>, <c>010.1.1.1</c>, scope ids and brackets.
/// </summary>
internal static class ConfigAddress
{
    public static IPAddress Unspecified(bool ipv6) => ipv6 ? IPAddress.IPv6Any : IPAddress.Any;

    public static string FamilyName(bool ipv6) => ipv6 ? "IPv6" : "IPv4";

    /// <summary>Parses <paramref name="text"/> in one family; on failure <paramref name="problem"/> says why.</summary>
    public static bool TryParse(string text, bool ipv6, out IPAddress address, out string problem)
    {
        bool isV4 = IsStrictIPv4(text);
        bool isV6 = !isV4 && IsStrictIPv6(text, out _);
        if (ipv6 ? isV6 : isV4)
        {
            address = IPAddress.Parse(text);
            problem = "";
            return true;
        }

        address = Unspecified(ipv6);
        problem = isV4 || isV6
            ? "'" + text + "' is an " + FamilyName(!ipv6) + " address but ip_ver is " + (ipv6 ? "6" : "4")
            : "'" + text + "' is not a valid " + FamilyName(ipv6) + " address";
        return false;
    }

    /// <summary>Parses <c>addr/len</c>; a missing <c>/len</c> gives length -1 (callers decide).</summary>
    public static bool TryParsePrefix(string text, bool ipv6, out IPAddress address, out int length, out string problem)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        length = -1;
        if (!TryParse(addressText, ipv6, out address, out problem))
        {
            return false;
        }

        if (slash < 0)
        {
            return true;
        }

        string lengthText = text[(slash + 1)..];
        int max = ipv6 ? 128 : 32;
        if (lengthText.Length is 0 or > 3 || !lengthText.All(char.IsAsciiDigit))
        {
            problem = "'" + lengthText + "' is not a prefix length";
            return false;
        }

        length = int.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture);
        if (length > max)
        {
            problem = "prefix length " + lengthText + " is out of range 0-" + max.ToString(CultureInfo.InvariantCulture);
            return false;
        }

        return true;
    }

    /// <summary>Text form as <c>inet_ntop</c> writes it (dotted IPv4, RFC 5952 IPv6).</summary>
    public static string Format(IPAddress address) => address.ToString();

    // glibc inet_pton4: exactly four decimal parts 0..255, no leading zeros.
    private static bool IsStrictIPv4(string s)
    {
        int parts = 0;
        int i = 0;
        while (true)
        {
            int start = i;
            int value = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 3)
            {
                value = (value * 10) + (s[i] - '0');
                i++;
            }

            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0'))
            {
                return false;
            }

            parts++;
            if (i == s.Length)
            {
                return parts == 4;
            }

            if (s[i] != '.' || parts == 4)
            {
                return false;
            }

            i++;
        }
    }

    private static bool IsStrictIPv6(string s, out IPAddress? address)
    {
        address = null;
        if (s.Length < 2)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (!char.IsAsciiHexDigit(c) && c != ':' && c != '.')
            {
                return false;
            }
        }

        return IPAddress.TryParse(s, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }
}
