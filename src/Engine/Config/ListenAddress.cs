using System.Globalization;
using System.Net;

namespace MptFast.Engine.Config;

/// <summary>
/// Where a local service listens, as an operator writes it: <c>PORT</c> (loopback, 127.0.0.1), <c>ADDR:PORT</c> or
/// <c>[IPV6]:PORT</c>. Loopback unless an address is named: a metrics endpoint open to the network is a choice.
/// </summary>
public static class ListenAddress
{
    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says why.</summary>
    public static bool TryParse(string text, out IPEndPoint? endPoint, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        endPoint = null;
        string address = "127.0.0.1";
        string port = text.Trim();
        int colon = port.LastIndexOf(':');
        if (colon >= 0)
        {
            address = port[..colon];
            port = port[(colon + 1)..];
            if (address.StartsWith('[') && address.EndsWith(']'))
            {
                address = address[1..^1];
            }
            else if (address.Contains(':', StringComparison.Ordinal))
            {
                problem = $"'{text}': write an IPv6 address in brackets, [ADDR]:PORT";
                return false;
            }
        }

        if (!IPAddress.TryParse(address, out IPAddress? ip))
        {
            problem = $"'{text}': '{address}' is not an IP address (PORT, ADDR:PORT or [ADDR]:PORT)";
            return false;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
        {
            problem = $"'{text}': '{port}' is not a port number (1-65535)";
            return false;
        }

        endPoint = new IPEndPoint(ip, number);
        problem = "";
        return true;
    }
}
