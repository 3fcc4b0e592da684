using System.Globalization;
using Microsoft.Win32.SafeHandles;
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
/// control thread busy). The two files stay open and are re-read with pread at offset 0 (sysfs generates an attribute
/// anew on every read from its start) into a stack buffer: File.ReadAllText allocated a stream and its buffers per
/// read, half a megabyte a second on an idle daemon (found by the soak's allocation figure). A file that fails (the
/// interface went away, or was made anew under the same name) is closed and opened again at the next reading.
/// </remarks>
public sealed class LinuxLinkState : ILinkState, IDisposable
{
    /// <summary>How long one reading of an interface is used.</summary>
    public const int CacheMilliseconds = 40;

    private const int IffUp = 0x1;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Whether the interface exists in this network namespace (sysfs).</summary>
    public static bool Exists(string name) => LinuxTunDevice.IsValidInterfaceName(name) && Directory.Exists("/sys/class/net/" + name);

    /// <summary>The interface's MTU (sysfs), or null when it does not exist here or cannot be read.</summary>
    public static int? Mtu(string name)
    {
        if (!LinuxTunDevice.IsValidInterfaceName(name))
        {
            return null;
        }

        try
        {
            return int.TryParse(File.ReadAllText("/sys/class/net/" + name + "/mtu").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int mtu)
                ? mtu
                : null;
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

    public bool? IsUpAndRunning(string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        if (!LinuxTunDevice.IsValidInterfaceName(interfaceName))
        {
            return null;
        }

        long now = Environment.TickCount64;
        if (!_entries.TryGetValue(interfaceName, out Entry? entry))
        {
            entry = new Entry("/sys/class/net/" + interfaceName + "/");
            _entries[interfaceName] = entry;
        }
        else if (now - entry.At < CacheMilliseconds)
        {
            return entry.State;
        }

        entry.State = entry.Read();
        entry.At = now;
        return entry.State;
    }

    public void Dispose()
    {
        foreach (Entry e in _entries.Values)
        {
            e.Close();
        }

        _entries.Clear();
    }

    /// <summary>One interface's open sysfs files and its last reading.</summary>
    private sealed class Entry(string directory)
    {
        private SafeFileHandle? _flags;
        private SafeFileHandle? _carrier;

        public bool? State { get; set; }

        public long At { get; set; } = long.MinValue / 2;

        public bool? Read()
        {
            // dev->flags in sysfs carry IFF_UP but never IFF_RUNNING: the carrier file says whether it runs
            // (reading it fails with EINVAL while the interface is administratively down).
            Span<byte> text = stackalloc byte[32];
            int n = ReadFile(ref _flags, "flags", text);
            if (n < 0)
            {
                Close(); // gone, or not ours to read: open anew next time
                return null;
            }

            ReadOnlySpan<byte> t = text[..n].Trim("\n "u8);
            if (!t.StartsWith("0x"u8) || !int.TryParse(t[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags))
            {
                return null;
            }

            if ((flags & IffUp) == 0)
            {
                return false;
            }

            n = ReadFile(ref _carrier, "carrier", text);
            return n > 0 && text[0] == (byte)'1';
        }

        public void Close()
        {
            _flags?.Dispose();
            _carrier?.Dispose();
            _flags = _carrier = null;
        }

        /// <summary>The file's bytes from its start (opened on first use); −1 when it cannot be opened or read.</summary>
        private int ReadFile(ref SafeFileHandle? handle, string name, Span<byte> buffer)
        {
            try
            {
                handle ??= File.OpenHandle(directory + name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return RandomAccess.Read(handle, buffer, 0);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                handle?.Dispose();
                handle = null;
                return -1;
            }
        }
    }
}
