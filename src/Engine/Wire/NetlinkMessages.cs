using System.Buffers.Binary;

namespace MptFast.Engine.Wire;

/// <summary>
/// Walks the netlink messages of one datagram (netlink(7)): each header's length, type and sequence number and the
/// payload after the 16-byte header; the next message starts at the length rounded up to 4. Host byte order
/// (little-endian on every ABI the datapath accepts). A malformed message — a length shorter than the header or past
/// the datagram — ends the walk (<see cref="Malformed"/>). Allocates nothing. Used for the rtnetlink link events and
/// route acknowledgements and the sock_diag answers.
/// </summary>
public ref struct NetlinkMessages
{
    /// <summary>sizeof(struct nlmsghdr).</summary>
    public const int HeaderLength = 16;

    private ReadOnlySpan<byte> _rest;

    /// <summary>A walk over <paramref name="datagram"/>.</summary>
    public NetlinkMessages(ReadOnlySpan<byte> datagram) => _rest = datagram;

    /// <summary>The current message's nlmsg_type.</summary>
    public ushort Type { get; private set; }

    /// <summary>The current message's nlmsg_seq.</summary>
    public uint Sequence { get; private set; }

    /// <summary>The current message after its header (nlmsg_len − 16 bytes).</summary>
    public ReadOnlySpan<byte> Payload { get; private set; }

    /// <summary>The walk ended at a malformed message rather than at the datagram's end.</summary>
    public bool Malformed { get; private set; }

    /// <summary>Moves to the next message; false at the end of the datagram or at a malformed message.</summary>
    public bool MoveNext()
    {
        if (_rest.Length < HeaderLength)
        {
            return false;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
        if (length < HeaderLength || length > (uint)_rest.Length)
        {
            _rest = default;
            Malformed = true;
            return false;
        }

        Type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[4..]);
        Sequence = BinaryPrimitives.ReadUInt32LittleEndian(_rest[8..]);
        Payload = _rest[HeaderLength..(int)length];
        _rest = _rest[Math.Min(Align(length), _rest.Length)..];
        return true;
    }

    /// <summary>The value of the first attribute of <paramref name="type"/> (struct rtattr / nlattr: 16-bit length
    /// including its 4-byte header, 16-bit type whose top two bits are flags) among <paramref name="attributes"/>, up to
    /// its first NUL (a string attribute); false when there is none or an attribute is malformed before it.</summary>
    public static bool TryFindString(ReadOnlySpan<byte> attributes, ushort type, out ReadOnlySpan<byte> value)
    {
        while (attributes.Length >= 4)
        {
            ushort length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            if (length < 4 || length > attributes.Length)
            {
                break;
            }

            if ((BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]) & 0x3FFF) == type)
            {
                value = attributes[4..length];
                int end = value.IndexOf((byte)0);
                value = end < 0 ? value : value[..end];
                return true;
            }

            attributes = attributes[Math.Min(Align(length), attributes.Length)..];
        }

        value = default;
        return false;
    }

    private static int Align(uint length) => (int)Math.Min((length + 3) & ~3u, int.MaxValue);
}
