using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;
using MptFast.Engine.Control;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Logging;

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
/// <para>With an rtnetlink subscription to link changes (<see cref="Events"/>, RTMGRP_LINK) a reading is kept until
/// the kernel reports a change of its interface, and read again from sysfs only every <see cref="ResyncMilliseconds"/>
/// as a safety net (and at once when the kernel says it dropped events: ENOBUFS). The poll cost 80 preads a second on
/// a client's two interfaces, busy or idle (issue 15: 79 of the ~880 system calls a second of a client at 30 Mbit/s),
/// and a carrier loss waited up to <see cref="CacheMilliseconds"/> plus a control tick to be seen; now it is seen when
/// the control thread wakes for the event. Without netlink (refused by a sandbox) the poll stays as it was.</para>
/// </remarks>
public sealed class LinuxLinkState : ILinkState, IDisposable
{
    /// <summary>How long one reading of an interface is used (without link events).</summary>
    public const int CacheMilliseconds = 40;

    /// <summary>How long one reading is used while link events keep it current.</summary>
    public const int ResyncMilliseconds = 1000;

    private const int IfNameSize = 16;
    private const int EventBufferSize = 32 * 1024;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _byName;
    private readonly Socket? _events;
    private readonly byte[] _eventBuffer = [];

    /// <summary>Opens the link-event subscription (<paramref name="events"/>; false: poll only, as without netlink).</summary>
    public LinuxLinkState(bool events = true)
    {
        _byName = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        if (events)
        {
            _events = OpenEvents();
            _eventBuffer = _events is null ? [] : new byte[EventBufferSize];
        }
    }

    /// <summary>The rtnetlink socket subscribed to link changes, or null (netlink refused: the poll alone).</summary>
    public Socket? Events => _events;

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
        else if (now - entry.At < (_events is null ? CacheMilliseconds : ResyncMilliseconds))
        {
            return entry.State;
        }

        entry.State = entry.Read();
        entry.At = now;
        return entry.State;
    }

    /// <summary>
    /// Reads every pending link event: an interface's new flags replace its reading (up and running: IFF_UP with
    /// IFF_LOWER_UP, the carrier — what the sysfs files say); a deleted interface, or events the kernel dropped
    /// (ENOBUFS), make the next reading come from sysfs. Interfaces nobody asked about are ignored. No allocation.
    /// </summary>
    public unsafe void TakeEvents()
    {
        if (_events is null)
        {
            return;
        }

        int fd = (int)_events.Handle;
        long now = Environment.TickCount64;
        Span<char> name = stackalloc char[IfNameSize];
        fixed (byte* buffer = _eventBuffer)
        {
            for (int reads = 0; reads < 64; reads++)
            {
                nint n = Libc.Recv(fd, buffer, (nuint)_eventBuffer.Length, Libc.MSG_DONTWAIT);
                if (n < 0)
                {
                    Errno errno = LinuxError.Last;
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (errno != Errno.ENOBUFS)
                    {
                        return; // EAGAIN: drained
                    }

                    foreach (Entry e in _entries.Values)
                    {
                        e.At = Entry.Unread; // events were lost: read every interface anew
                    }

                    continue;
                }

                if (n == 0)
                {
                    return;
                }

                var reader = new LinkEventReader(new ReadOnlySpan<byte>(buffer, (int)n));
                while (reader.MoveNext())
                {
                    if (reader.Name.Length > name.Length)
                    {
                        continue;
                    }

                    int length = Encoding.Latin1.GetChars(reader.Name, name);
                    if (_byName.TryGetValue(name[..length], out Entry? entry))
                    {
                        entry.State = reader.Deleted ? null : reader.UpAndRunning;
                        entry.At = reader.Deleted ? Entry.Unread : now;
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (Entry e in _entries.Values)
        {
            e.Close();
        }

        _entries.Clear();
        _events?.Dispose();
    }

    /// <summary>An rtnetlink socket bound to RTMGRP_LINK in this network namespace, or null when refused.</summary>
    private static unsafe Socket? OpenEvents()
    {
        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (fd < 0)
        {
            Log.Debug($"link monitor: no netlink socket ({LinuxError.Describe(LinuxError.Last)}); polling sysfs");
            return null;
        }

        var address = new Libc.SockAddrNetlink { Family = Libc.AF_NETLINK, Groups = Libc.RTMGRP_LINK };
        if (Libc.Bind(fd, &address, (uint)sizeof(Libc.SockAddrNetlink)) != 0)
        {
            Log.Debug($"link monitor: netlink bind refused ({LinuxError.Describe(LinuxError.Last)}); polling sysfs");
            Libc.Close(fd);
            return null;
        }

        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>One interface's open sysfs files and its last reading.</summary>
    private sealed class Entry(string directory)
    {
        private SafeFileHandle? _flags;
        private SafeFileHandle? _carrier;

        public bool? State { get; set; }

        /// <summary><see cref="At"/> of a reading that must be taken anew at the next call.</summary>
        public const long Unread = long.MinValue / 2;

        public long At { get; set; } = Unread;

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

            if ((flags & LinkEventReader.Up) == 0)
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
