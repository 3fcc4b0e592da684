using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MptFast.Engine.Wire;

/// <summary>
/// The 16-byte address form the original uses everywhere on the wire (MPT-SPEC §3.1, §4.2):
/// IPv6 as is, IPv4 as the IPv4-mapped IPv6 address <c>::ffff:a.b.c.d</c>.
/// A value type (two 64-bit halves, network byte order), so comparing and copying never allocates.
/// </summary>
public readonly struct Address16 : IEquatable<Address16>
{
    /// <summary>Size of the form on the wire.</summary>
    public const int Size = 16;

    private readonly ulong _high;
    private readonly ulong _low;

    private Address16(ulong high, ulong low)
    {
        _high = high;
        _low = low;
    }

    /// <summary>The all-zero address <c>::</c> (what the original's zero-filled unused slots hold).</summary>
    public static Address16 Any => default;

    /// <summary>True for <c>::ffff:a.b.c.d</c>, the form of every IPv4 address.</summary>
    public bool IsIPv4Mapped => _high == 0 && (_low >> 32) == 0xFFFF;

    /// <summary>Reads the form from the first 16 bytes of <paramref name="source"/> (caller checked the length).</summary>
    public static Address16 Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            WireThrow.SpanTooShort(nameof(source), Size);
        }

        return new Address16(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));
    }

    /// <summary>Builds the form of an IPv4 address given as 4 bytes in network order.</summary>
    public static Address16 FromIPv4(ReadOnlySpan<byte> ipv4)
    {
        if (ipv4.Length < 4)
        {
            WireThrow.SpanTooShort(nameof(ipv4), 4);
        }

        return new Address16(0, 0xFFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(ipv4));
    }

    /// <summary>Converts an <see cref="IPAddress"/>: IPv4 becomes IPv4-mapped, IPv6 is taken byte for byte (scope id dropped).</summary>
    public static Address16 FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[Size];
        Write(address, bytes);
        return Read(bytes);
    }

    /// <summary>Writes the 16-byte form of <paramref name="address"/> into the first 16 bytes of <paramref name="destination"/>.</summary>
    public static void Write(IPAddress address, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (destination.Length < Size)
        {
            WireThrow.SpanTooShort(nameof(destination), Size);
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // MPT-SPEC §3.1: IPv4 as ::ffff:a.b.c.d, written byte by byte.
            destination[..10].Clear();
            destination[10] = 0xFF;
            destination[11] = 0xFF;
            if (!address.TryWriteBytes(destination.Slice(12, 4), out _))
            {
                WireThrow.InvalidAddress();
            }
        }
        else if (!address.TryWriteBytes(destination[..Size], out int written) || written != Size)
        {
            WireThrow.InvalidAddress();
        }
    }

    /// <summary>True when the first 16 bytes of both spans are equal (both must hold at least 16 bytes).</summary>
    public static bool SpanEquals(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) =>
        left.Length >= Size && right.Length >= Size && left[..Size].SequenceEqual(right[..Size]);

    /// <summary>True when the first 16 bytes of <paramref name="source"/> hold this address.</summary>
    public bool Matches(ReadOnlySpan<byte> source) =>
        source.Length >= Size
        && BinaryPrimitives.ReadUInt64BigEndian(source) == _high
        && BinaryPrimitives.ReadUInt64BigEndian(source[8..]) == _low;

    /// <summary>Writes the 16 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            WireThrow.SpanTooShort(nameof(destination), Size);
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
    }

    /// <summary>Converts back: IPv4-mapped becomes a 4-byte IPv4 address, anything else IPv6. Allocates (control plane only).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return IsIPv4Mapped ? new IPAddress(bytes[12..]) : new IPAddress(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(Address16 other) => _high == other._high && _low == other._low;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Address16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_high, _low);

    /// <summary>Text form (IPv4 dotted for mapped addresses).</summary>
    public override string ToString() => ToIPAddress().ToString();

    public static bool operator ==(Address16 left, Address16 right) => left.Equals(right);

    public static bool operator !=(Address16 left, Address16 right) => !left.Equals(right);
}
