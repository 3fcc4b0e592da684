using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

/// <summary>Every vector cut at every shorter length is rejected with a typed status, never an exception.</summary>
public class TruncationTests
{
    public static TheoryData<string> DataVectors => new(WireVectors.DataVectors);

    public static TheoryData<string> KeepaliveVectors => new(WireVectors.KeepaliveVectors);

    public static TheoryData<string> ControlVectors => new(WireVectors.ControlVectorNames);

    [Theory]
    [MemberData(nameof(DataVectors))]
    public void Truncated_data_packets_are_rejected(string name)
    {
        byte[] packet = SharedFiles.LoadVector(name);
        for (int length = 0; length < packet.Length; length++)
        {
            GreStatus status = GreCodec.Decode(packet.AsSpan(0, length), out _);
            Assert.True(status is GreStatus.Truncated or GreStatus.EmptyPayload or GreStatus.BadInnerLength, $"{name} cut to {length}: {status}");
        }
    }

    [Theory]
    [MemberData(nameof(KeepaliveVectors))]
    public void Truncated_keepalives_are_rejected(string name)
    {
        byte[] packet = SharedFiles.LoadVector(name);
        for (int length = 0; length < packet.Length; length++)
        {
            KeepaliveStatus status = KeepaliveCodec.Decode(packet.AsSpan(0, length), out _);
            Assert.True(status is KeepaliveStatus.MalformedGre or KeepaliveStatus.BadLength, $"{name} cut to {length}: {status}");
        }
    }

    [Theory]
    [MemberData(nameof(ControlVectors))]
    public void Truncated_control_messages_are_rejected_by_the_receive_checks(string name)
    {
        // What a receiver runs: decode (length by round), authenticate, and for round 3 compare with round 1's announcement.
        var v = WireVectors.ControlVectors.Single(c => c.Name == name);
        byte[] message = SharedFiles.LoadVector(name);
        byte[] round1 = SharedFiles.LoadVector(name[..^1] + "1");
        Assert.Equal(ControlStatus.Ok, ControlCodec.Decode(round1, out ControlHeader r1));
        uint announced = ControlCodec.ReadAnnouncedLength(round1, r1);

        Assert.True(Accepted(message, v.Auth, announced), name);
        for (int length = 0; length < message.Length; length++)
        {
            Assert.False(Accepted(message.AsSpan(0, length), v.Auth, announced), $"{name} cut to {length}");
        }
    }

    [Fact]
    public void Truncated_cli_requests_and_end_markers_are_rejected()
    {
        byte[] request = SharedFiles.LoadVector("cli-path-down-request");
        for (int length = 0; length < request.Length; length++)
        {
            CliStatus status = CliCodec.DecodeRequest(request.AsSpan(0, length), out _);
            Assert.True(status is CliStatus.TooShort or CliStatus.MissingNul, $"request cut to {length}: {status}");
        }

        byte[] end = SharedFiles.LoadVector("cli-reply-end");
        for (int length = 0; length < end.Length; length++)
        {
            Assert.Equal(CliStatus.TooShort, CliCodec.DecodeReply(end.AsSpan(0, length), out _, out _));
        }
    }

    [Fact]
    public void Truncated_cli_replies_below_the_header_are_rejected_and_longer_cuts_never_throw()
    {
        // A reply carries no length and no NUL (MPT-SPEC §4.8): a cut after the header is indistinguishable from a
        // shorter reply or a continuation (B64), so only cuts inside the 4-byte header can be rejected.
        byte[] reply = SharedFiles.LoadVector("cli-path-down-reply");
        for (int length = 0; length < reply.Length; length++)
        {
            CliStatus status = CliCodec.DecodeReply(reply.AsSpan(0, length), out CliReplyKind kind, out ReadOnlySpan<byte> text);
            if (length < CliCodec.HeaderLength)
            {
                Assert.Equal(CliStatus.TooShort, status);
            }
            else
            {
                Assert.Equal(CliStatus.Ok, status);
                Assert.Equal(length >= 4 + 7 ? CliReplyKind.Ok : CliReplyKind.Continuation, kind);
                Assert.True(text.Length < reply.Length - 4);
            }
        }
    }

    private static bool Accepted(ReadOnlySpan<byte> message, ControlAuthType auth, uint announced)
    {
        if (ControlCodec.Decode(message, out ControlHeader header) != ControlStatus.Ok)
        {
            return false;
        }

        if (ControlAuth.Verify(message, auth, WireVectors.CaptureKey) != ControlAuthStatus.Ok)
        {
            return false;
        }

        return header.Round != 3 || ControlCodec.CheckAnnouncedBody(header, announced) == ControlStatus.Ok;
    }
}
