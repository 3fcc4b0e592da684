using System.Globalization;
using MptFast.Engine.Control;
using MptFast.Engine.Datapath.Linux;

namespace MptFast.Engine.Daemon;

/// <summary>
/// Interface state from <c>/sys/class/net/IF/flags</c> (IFF_UP) and <c>carrier</c> (running) — the periodic poll of
/// MPT-SPEC §6.3 "Required" instead of the original's per-packet ioctl (B10). sysfs shows the network namespace the
/// daemon runs in (<c>ip netns exec</c> mounts it so). Control thread only.
/// </summary>
/// <remarks>
/// Each interface is read at most once per <see cref="CacheMilliseconds"/> (issue 15: a server's two hundred paths share
/// two interfaces, and the link monitor asks for every path at every control tick — two sysfs files each, which kept the
/// control thread busy).
/// </remarks>
public sealed class LinuxLinkState : ILinkState
{
    /// <summary>How long one reading of an interface is used.</summary>
    public const int CacheMilliseconds = 40;

    private const int IffUp = 0x1;
    private readonly Dictionary<string, (bool? State, long At)> _cache = new(StringComparer.Ordinal);

    /// <summary>Whether the interface exists in this network namespace (sysfs).</summary>
    public static bool Exists(string name) => LinuxTunDevice.IsValidInterfaceName(name) && Directory.Exists("/sys/class/net/" + name);

    public bool? IsUpAndRunning(string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        long now = Environment.TickCount64;
        if (_cache.TryGetValue(interfaceName, out (bool? State, long At) hit) && now - hit.At < CacheMilliseconds)
        {
            return hit.State;
        }

        bool? state = Read(interfaceName);
        _cache[interfaceName] = (state, now);
        return state;
    }

    private static bool? Read(string interfaceName)
    {
        if (string.IsNullOrEmpty(interfaceName) || interfaceName.Contains('/', StringComparison.Ordinal) || interfaceName.StartsWith('.'))
        {
            return null;
        }

        try
        {
            // dev->flags in sysfs carry IFF_UP but never IFF_RUNNING: the carrier file says whether it runs
            // (reading it fails with EINVAL while the interface is administratively down).
            string text = File.ReadAllText("/sys/class/net/" + interfaceName + "/flags").Trim();
            if (!text.StartsWith("0x", StringComparison.Ordinal) ||
                !int.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags))
            {
                return null;
            }

            if ((flags & IffUp) == 0)
            {
                return false;
            }

            return File.ReadAllText("/sys/class/net/" + interfaceName + "/carrier").Trim() == "1";
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
