using MptFast.Engine.Wire;

namespace MptFast.Fuzz;

/// <summary>
/// Keepalive decoding on the data socket (whole datagram) and on the command port (command part only, §3.4). The
/// invariants are in <see cref="KeepaliveInvariants"/>, one place, since an extended keepalive for MptFast peers will
/// change what is accepted.
/// </summary>
internal static class KeepaliveTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        KeepaliveStatus status = KeepaliveCodec.Decode(data, out KeepaliveMessage message);
        KeepaliveInvariants.CheckDatagram(data, status, message);
        KeepaliveStatus commandStatus = KeepaliveCodec.DecodeCommand(data, out KeepaliveMessage commandMessage);
        KeepaliveInvariants.CheckCommand(data, commandStatus, commandMessage);
    }
}

/// <summary>
/// What a keepalive is (MPT-SPEC §3.1, §3.3): a GRE header, then exactly the 40-byte control header with code 0xA1
/// and IP version 4 or 6. The original always sends flags 0, so 44 bytes; a GRE header with C/K/S fields is valid
/// GRE (RFC 2890) and the original skips S, so such a keepalive is 44 + 4 per field. A longer command part (a body) is
/// <see cref="KeepaliveStatus.BadLength"/>. Status, auth and round bytes are not examined (the original sends 0).
/// </summary>
internal static class KeepaliveInvariants
{
    /// <summary>The command part's length.</summary>
    public const int CommandLength = 40;

    /// <summary>Checks the decoding of a data-socket datagram.</summary>
    public static void CheckDatagram(ReadOnlySpan<byte> datagram, KeepaliveStatus status, in KeepaliveMessage message)
    {
        KeepaliveStatus expected;
        ReadOnlySpan<byte> command = default;
        if (GreCodec.Decode(datagram, out GreFrame frame) != GreStatus.Ok)
        {
            expected = KeepaliveStatus.MalformedGre;
        }
        else
        {
            command = frame.PayloadOf(datagram);
            expected = frame.Kind == GrePayloadKind.Data ? KeepaliveStatus.NotKeepalive : ExpectedCommandStatus(command);
        }

        Fuzz.Require(status == expected, $"keepalive: status {status}, expected {expected}");
        if (status != KeepaliveStatus.Ok)
        {
            Fuzz.Require(message == default, "keepalive: a rejected datagram left a message");
            return;
        }

        int optionalFields = ((frame.Flags & GreCodec.FlagChecksum) != 0 ? 1 : 0) + ((frame.Flags & GreCodec.FlagKey) != 0 ? 1 : 0)
            + ((frame.Flags & GreCodec.FlagSequence) != 0 ? 1 : 0);
        Fuzz.Require(datagram.Length == KeepaliveCodec.PacketLength + (4 * optionalFields), $"keepalive: accepted {datagram.Length} bytes with {optionalFields} GRE option fields");
        Fuzz.Require(frame.Flags != 0 || datagram.Length == 44, "keepalive: a plain keepalive that is not 44 bytes was accepted (§3.1)");
        CheckFields(command, message);
        CheckRoundTrip(datagram, frame, command, message);
        FuzzReach.KeepalivesAccepted++;
    }

    /// <summary>Checks the decoding of a command-port keepalive (the command part alone, §3.4).</summary>
    public static void CheckCommand(ReadOnlySpan<byte> command, KeepaliveStatus status, in KeepaliveMessage message)
    {
        KeepaliveStatus expected = ExpectedCommandStatus(command);
        Fuzz.Require(status == expected, $"keepalive command: status {status}, expected {expected}");
        if (status == KeepaliveStatus.Ok)
        {
            CheckFields(command, message);
        }
    }

    private static KeepaliveStatus ExpectedCommandStatus(ReadOnlySpan<byte> command)
    {
        if (command.IsEmpty || command[0] != 0xA1)
        {
            return KeepaliveStatus.NotKeepalive;
        }

        if (command.Length != CommandLength)
        {
            return KeepaliveStatus.BadLength;
        }

        return command[5] is 4 or 6 ? KeepaliveStatus.Ok : KeepaliveStatus.BadIpVersion;
    }

    private static void CheckFields(ReadOnlySpan<byte> command, in KeepaliveMessage message)
    {
        Fuzz.Require(message.IpVersion == command[5], "keepalive: IP version not from byte 5");
        Fuzz.Require(message.LocalTunnel == Address16.Read(command[8..]) && message.RemoteTunnel == Address16.Read(command[24..]),
            "keepalive: tunnel addresses not from bytes 8 and 24");
    }

    // Writing the decoded fields gives a keepalive that decodes to the same message, and the very bytes when the input
    // was in the form the original sends (flags 0, protocol from the IP version, status/auth/round/reserved zero).
    private static void CheckRoundTrip(ReadOnlySpan<byte> datagram, in GreFrame frame, ReadOnlySpan<byte> command, in KeepaliveMessage message)
    {
        Span<byte> written = stackalloc byte[KeepaliveCodec.PacketLength];
        Fuzz.Require(KeepaliveCodec.TryWrite(written, message.IpVersion, message.LocalTunnel, message.RemoteTunnel, out int length)
            && length == KeepaliveCodec.PacketLength, "keepalive: a decoded message cannot be written");
        Fuzz.Require(KeepaliveCodec.Decode(written, out KeepaliveMessage again) == KeepaliveStatus.Ok && again == message,
            "keepalive: decode(write(m)) != m");
        ushort protocol = message.IpVersion == 4 ? GreCodec.ProtocolIPv4 : GreCodec.ProtocolIPv6;
        bool originalForm = frame.Flags == 0 && frame.ProtocolType == protocol && command[1] == 0 && command[2] == 0
            && command[3] == 0 && command[4] == 0 && command[6] == 0 && command[7] == 0;
        Fuzz.Require(!originalForm || written.SequenceEqual(datagram), "keepalive: write(decode(x)) != x for an original keepalive");
    }
}
