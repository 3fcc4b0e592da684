namespace MptFast.Engine.Wire;

/// <summary>Result of the keepalive decoders.</summary>
public enum KeepaliveStatus : byte
{
    /// <summary>A valid keepalive.</summary>
    Ok = 0,

    /// <summary>The datagram is not valid GRE (see <see cref="GreCodec.Decode"/>).</summary>
    MalformedGre,

    /// <summary>Data, or a command other than 0xA1.</summary>
    NotKeepalive,

    /// <summary>The command part is neither exactly 40 bytes (MPT-SPEC §3.1: always 44 with the GRE header) nor 40
    /// bytes followed by a valid probe trailer (<see cref="ProbeCodec"/>).</summary>
    BadLength,

    /// <summary>IP version byte is not 4 or 6.</summary>
    BadIpVersion,
}

/// <summary>The fields of a keepalive worth checking (B32: tunnel addresses against the path's connection), and the
/// measurement trailer when an MptFast peer sent a probe (<see cref="ProbeCodec"/>; its loss reports follow
/// <see cref="KeepaliveCodec.CommandLength"/> bytes into the command part).</summary>
public readonly record struct KeepaliveMessage(byte IpVersion, Address16 LocalTunnel, Address16 RemoteTunnel, ProbeTrailer? Probe = null);

/// <summary>Keepalive packets (MPT-SPEC §3.1): 4-byte GRE header with flags 0, then a 40-byte control header with sh = 0.</summary>
public static class KeepaliveCodec
{
    /// <summary>Length of the command part (the control header with sh = 0, no body).</summary>
    public const int CommandLength = ControlCodec.FixedHeaderLength;

    /// <summary>Length of the whole UDP payload.</summary>
    public const int PacketLength = GreCodec.BaseHeaderLength + CommandLength;

    private const int IpVersionOffset = 5;

    /// <summary>
    /// Writes the 44-byte keepalive: GRE flags always 0 (never S, §2.3), protocol type from the connection's
    /// <paramref name="ipVersion"/> (as the original, §12.5), then 0xA1, status 0, auth 0, round 0, version,
    /// sender's local and remote tunnel addresses. False when the destination is too small or the version is not 4/6.
    /// </summary>
    public static bool TryWrite(Span<byte> destination, byte ipVersion, Address16 localTunnel, Address16 remoteTunnel, out int written)
    {
        written = 0;
        if (destination.Length < PacketLength || ipVersion is not (4 or 6))
        {
            return false;
        }

        GreCodec.WriteHeader(destination, ipVersion == 4 ? GreCodec.ProtocolIPv4 : GreCodec.ProtocolIPv6, withSequence: false, 0);
        var header = new ControlHeader
        {
            Command = ControlCommand.Keepalive,
            AuthType = ControlAuthType.None,
            Round = 0,
            IpVersion = ipVersion,
            LocalTunnel = localTunnel,
            RemoteTunnel = remoteTunnel,
        };
        ControlCodec.WriteHeader(destination[GreCodec.BaseHeaderLength..], header, 0, out _);
        written = PacketLength;
        return true;
    }

    /// <summary>Decodes a whole UDP payload from a data socket as a keepalive.</summary>
    public static KeepaliveStatus Decode(ReadOnlySpan<byte> udpPayload, out KeepaliveMessage keepalive)
    {
        keepalive = default;
        if (GreCodec.Decode(udpPayload, out GreFrame frame) != GreStatus.Ok)
        {
            return KeepaliveStatus.MalformedGre;
        }

        return frame.Kind == GrePayloadKind.Command
            ? DecodeCommand(frame.PayloadOf(udpPayload), out keepalive)
            : KeepaliveStatus.NotKeepalive;
    }

    /// <summary>
    /// Writes a probe: the keepalive of <see cref="TryWrite"/> followed by the trailer <paramref name="probe"/> with
    /// <paramref name="losses"/>, and when the trailer's flags say Authenticated its MAC with <paramref name="key"/> (an
    /// HMAC with the 32-byte control key; null without authentication). False when the destination is too small, the
    /// version is not 4/6, or the flag and the key disagree.
    /// </summary>
    public static bool TryWriteProbe(Span<byte> destination, byte ipVersion, Address16 localTunnel, Address16 remoteTunnel,
        in ProbeTrailer probe, ReadOnlySpan<LossRange> losses, HmacSha256? key, out int written)
    {
        written = 0;
        if (((probe.Flags & ProbeFlags.Authenticated) != 0) != (key is not null))
        {
            return false;
        }

        if (!TryWrite(destination, ipVersion, localTunnel, remoteTunnel, out int keepalive))
        {
            return false;
        }

        int trailer = ProbeCodec.Write(destination[keepalive..], probe, losses);
        if (trailer == 0)
        {
            return false;
        }

        written = keepalive + trailer;
        if (key is not null)
        {
            ProbeCodec.Sign(destination[(keepalive - CommandLength)..written], key);
        }

        return true;
    }

    /// <summary>
    /// Decodes the command part (the GRE payload, or a legacy keepalive on the command port, §3.4): exactly
    /// 40 bytes, or 40 bytes and a probe trailer; code 0xA1, version 4/6. Status, auth and round bytes are not
    /// examined (the original never sends anything but 0 there).
    /// </summary>
    public static KeepaliveStatus DecodeCommand(ReadOnlySpan<byte> command, out KeepaliveMessage keepalive)
    {
        keepalive = default;
        if (command.IsEmpty || command[0] != (byte)ControlCommand.Keepalive)
        {
            return KeepaliveStatus.NotKeepalive;
        }

        ProbeTrailer? probe = null;
        if (command.Length != CommandLength)
        {
            if (command.Length < CommandLength || !ProbeCodec.TryRead(command[CommandLength..], out ProbeTrailer trailer))
            {
                return KeepaliveStatus.BadLength;
            }

            probe = trailer;
        }

        byte ipVersion = command[IpVersionOffset];
        if (ipVersion is not (4 or 6))
        {
            return KeepaliveStatus.BadIpVersion;
        }

        keepalive = new KeepaliveMessage(ipVersion, Address16.Read(command[8..]), Address16.Read(command[24..]), probe);
        return KeepaliveStatus.Ok;
    }
}
