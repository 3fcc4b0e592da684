using System.Buffers.Binary;
using MptFast.Engine.Wire;

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
    internal const int HeaderLength = NetlinkMessages.HeaderLength;

    /// <summary>sizeof(struct ifinfomsg).</summary>
    internal const int InfoLength = 16;

    internal const ushort NewLink = 16;
    internal const ushort DeleteLink = 17;
    internal const ushort Ifname = 3;

    /// <summary>IFF_UP: administratively up.</summary>
    internal const uint Up = 0x1;

    /// <summary>IFF_LOWER_UP: the driver signals carrier (what sysfs's <c>carrier</c> file says).</summary>
    internal const uint LowerUp = 0x10000;

    private NetlinkMessages _messages;

    public LinkEventReader(ReadOnlySpan<byte> datagram) => _messages = new NetlinkMessages(datagram);

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
        while (_messages.MoveNext())
        {
            ushort type = _messages.Type;
            ReadOnlySpan<byte> message = _messages.Payload;
            if ((type != NewLink && type != DeleteLink) || message.Length < InfoLength
                || !NetlinkMessages.TryFindString(message[InfoLength..], Ifname, out ReadOnlySpan<byte> name) || name.IsEmpty)
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
}
