using System.Buffers.Binary;

namespace MptFast.Engine.Daemon;

/// <summary>
/// Walks the rtnetlink link messages in one datagram (rtnetlink(7)): each RTM_NEWLINK / RTM_DELLINK with its interface
/// name and flags. Host byte order (little-endian on every ABI the datapath accepts). A malformed message — a length
/// shorter than its header or past the datagram — ends the walk; a link message without a name is skipped. Allocates
/// nothing.
/// </summary>
internal ref struct LinkEventReader
{
    /// <summary>sizeof(struct nlmsghdr).</summary>
    internal const int HeaderLength = 16;

    /// <summary>sizeof(struct ifinfomsg).</summary>
    internal const int InfoLength = 16;

    internal const ushort NewLink = 16;
    internal const ushort DeleteLink = 17;
    internal const ushort Ifname = 3;

    /// <summary>IFF_UP: administratively up.</summary>
    internal const uint Up = 0x1;

    /// <summary>IFF_LOWER_UP: the driver signals carrier (what sysfs's <c>carrier</c> file says).</summary>
    internal const uint LowerUp = 0x10000;

    private ReadOnlySpan<byte> _rest;

    public LinkEventReader(ReadOnlySpan<byte> datagram) => _rest = datagram;

    /// <summary>The current message's interface name (without its NUL).</summary>
    public ReadOnlySpan<byte> Name { get; private set; }

    /// <summary>The current message's interface flags (IFF_*).</summary>
    public uint Flags { get; private set; }

    /// <summary>The interface was deleted (RTM_DELLINK).</summary>
    public bool Deleted { get; private set; }

    /// <summary>The interface is up and has carrier (<see cref="Up"/> and <see cref="LowerUp"/>).</summary>
    public readonly bool UpAndRunning => (Flags & (Up | LowerUp)) == (Up | LowerUp);

    /// <summary>Moves to the next link message; false at the end of the datagram or at a malformed message.</summary>
    public bool MoveNext()
    {
        while (_rest.Length >= HeaderLength)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[4..]);
            if (length < HeaderLength || length > (uint)_rest.Length)
            {
                _rest = default;
                return false;
            }

            ReadOnlySpan<byte> message = _rest[HeaderLength..(int)length];
            _rest = _rest[Math.Min(Align(length), _rest.Length)..];
            if ((type != NewLink && type != DeleteLink) || message.Length < InfoLength)
            {
                continue;
            }

            ReadOnlySpan<byte> name = FindName(message[InfoLength..]);
            if (name.IsEmpty)
            {
                continue;
            }

            Name = name;
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(message[8..]);
            Deleted = type == DeleteLink;
            return true;
        }

        return false;
    }

    /// <summary>The IFLA_IFNAME attribute's string among <paramref name="attributes"/>, or empty.</summary>
    private static ReadOnlySpan<byte> FindName(ReadOnlySpan<byte> attributes)
    {
        while (attributes.Length >= 4)
        {
            ushort length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]);
            if (length < 4 || length > attributes.Length)
            {
                return default;
            }

            if ((type & 0x3FFF) == Ifname)
            {
                ReadOnlySpan<byte> value = attributes[4..length];
                int end = value.IndexOf((byte)0);
                return end < 0 ? value : value[..end];
            }

            attributes = attributes[Math.Min(Align(length), attributes.Length)..];
        }

        return default;
    }

    private static int Align(uint length) => (int)Math.Min((length + 3) & ~3u, int.MaxValue);
}
