using System.Buffers.Binary;
using System.Net;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Control;

/// <summary>Builds control messages by hand for the rejection tables.</summary>
internal static class ControlMessages
{
    public static readonly Address16 TunnelA = Address16.FromIPAddress(IPAddress.Parse("198.19.0.1"));
    public static readonly Address16 TunnelB = Address16.FromIPAddress(IPAddress.Parse("198.19.0.2"));

    public static byte[] CaptureKey => Wire.WireVectors.CaptureKey;

    public static byte[] WrongKey => ControlAuth.DeriveKey("not the key not the key not the key");

    /// <summary>A message from side a (local A, remote B), signed with <paramref name="key"/> when type 2.</summary>
    public static byte[] FromA(ControlCommand command, byte parameter, ControlAuthType type, byte round, uint token, ReadOnlySpan<byte> body, byte[] key)
    {
        var header = new ControlHeader
        {
            Command = command, Parameter = parameter, AuthType = type, Token = token, Round = round, IpVersion = 4,
            LocalTunnel = TunnelA, RemoteTunnel = TunnelB,
        };
        byte[] message = new byte[ControlAuth.AuthSize(type) + ControlCodec.FixedHeaderLength + body.Length];
        Assert.Equal(ControlEncodeStatus.Ok, ControlCodec.Encode(message, header, body, out _));
        if (type == ControlAuthType.Sha256)
        {
            Assert.True(ControlAuth.Sign(message, key));
        }

        return message;
    }

    public static byte[] Announce(uint length)
    {
        byte[] body = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(body, length);
        return body;
    }

    /// <summary>Status-change body for the capture's path 1 as side a sends it: a's public 198.18.2.1, a's remote 198.18.2.2.</summary>
    public static byte[] Path1Body()
    {
        byte[] body = new byte[32];
        Address16.Write(IPAddress.Parse("198.18.2.1"), body);
        Address16.Write(IPAddress.Parse("198.18.2.2"), body.AsSpan(16));
        return body;
    }

    /// <summary>A valid create text (side a's connection in the save format).</summary>
    public static byte[] CreateBody() =>
        System.Text.Encoding.ASCII.GetBytes(MptFast.Engine.Config.ConfigWriter.WriteConnection(ControlFixtures.Running("ipv4-a"), MptFast.Engine.Config.ConnectionFormat.Original));
}
