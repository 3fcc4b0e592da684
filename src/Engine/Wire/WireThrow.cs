using System.Diagnostics.CodeAnalysis;

namespace MptFast.Engine.Wire;

/// <summary>
/// Out-of-line throw sites for caller mistakes (never for packet data, which gets typed statuses),
/// so the hot codecs stay small enough to inline.
/// </summary>
internal static class WireThrow
{
    [DoesNotReturn]
    public static void SpanTooShort(string paramName, int needed) =>
        throw new ArgumentException($"span needs at least {needed} bytes", paramName);

    [DoesNotReturn]
    public static void InvalidAddress() =>
        throw new ArgumentException("address cannot be written in the 16-byte form");

    [DoesNotReturn]
    public static void KeyLength(string paramName) =>
        throw new ArgumentException("an auth key must be exactly 32 bytes", paramName);

    [DoesNotReturn]
    public static void OutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);
}
