using System.Text;
using MptFast.Engine.Control.Cli;
using MptFast.Engine.Wire;

namespace MptFast.Fuzz;

/// <summary>
/// The <c>mpt</c> command line as the daemon receives it on the loopback command port (MPT-SPEC §4.8, §9.10): request
/// datagram decoding, then the command-line grammar. Invariants: no exception; a request decodes exactly when it is
/// 0xA4, NUL-terminated, UTF-8 without another NUL; a parse succeeds exactly with exit code 0; a failure names a
/// message without control characters (it is echoed to a terminal) and its command when known; an accepted command's
/// canonical line parses back to the same command and survives the request codec.
/// </summary>
internal static class CliTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        CheckRequestDecoding(data);

        // The text as the CLI sends it: header + line + NUL.
        byte[] datagram = new byte[CliCodec.HeaderLength + data.Length + 1];
        datagram[0] = (byte)ControlCommand.LocalReply;
        data.CopyTo(datagram.AsSpan(CliCodec.HeaderLength));
        CliStatus status = CliCodec.DecodeRequest(datagram, out ReadOnlySpan<byte> line);
        bool wellFormed = !data.Contains((byte)0) && IsUtf8(data);
        Fuzz.Require((status == CliStatus.Ok) == wellFormed, $"cli: request status {status} for {(wellFormed ? "valid" : "invalid")} text");
        CheckParse(status == CliStatus.Ok ? Encoding.UTF8.GetString(line) : Encoding.UTF8.GetString(data));
    }

    private static void CheckRequestDecoding(ReadOnlySpan<byte> datagram)
    {
        CliStatus status = CliCodec.DecodeRequest(datagram, out ReadOnlySpan<byte> line);
        bool valid = datagram.Length > CliCodec.HeaderLength && datagram[0] == (byte)ControlCommand.LocalReply && datagram[^1] == 0
            && !datagram[CliCodec.HeaderLength..^1].Contains((byte)0) && IsUtf8(datagram[CliCodec.HeaderLength..^1]);
        Fuzz.Require((status == CliStatus.Ok) == valid, $"cli: raw request status {status}");
        Fuzz.Require(status != CliStatus.Ok || line.SequenceEqual(datagram[CliCodec.HeaderLength..^1]), "cli: request text is not bytes 4..end-1");
    }

    private static void CheckParse(string line)
    {
        CliParseResult result = CliCommandLine.Parse(line);
        Fuzz.Require(result.Succeeded == (result.ExitCode == CliExitCode.Ok), "cli: succeeded exactly with exit code 0");
        if (!result.Succeeded)
        {
            Fuzz.Require(result.ExitCode is CliExitCode.UnknownCommand or CliExitCode.InvalidIp or CliExitCode.InvalidPrefix or CliExitCode.WrongParameters,
                $"cli: exit code {result.ExitCode} is not one of §9.10's");
            Fuzz.Require((result.Kind is null) == (result.ExitCode == CliExitCode.UnknownCommand), "cli: a known command's failure must name it");
            Fuzz.Require(result.Message.Length > 0 && !result.Message.Any(char.IsControl), "cli: failure message empty or with control characters");
            return;
        }

        CliCommand command = result.Command!;
        FuzzReach.CliCommandsAccepted++;
        Fuzz.Require(result.Kind == command.Kind, "cli: kind of the result differs from the command's");
        string canonical = command.ToCommandLine();
        CliParseResult again = CliCommandLine.Parse(canonical);
        Fuzz.Require(again.Succeeded && again.Command == command, $"cli: '{canonical}' does not parse back to the same command");
        Fuzz.Require(again.Command!.ToCommandLine() == canonical, "cli: the canonical line is not a fixed point");

        byte[] request = new byte[CliCodec.HeaderLength + Encoding.UTF8.GetByteCount(canonical) + 1];
        Fuzz.Require(CliCodec.TryWriteRequest(request, canonical, out int written) == CliStatus.Ok && written == request.Length,
            "cli: an accepted command line cannot be sent");
        Fuzz.Require(CliCodec.DecodeRequest(request, out ReadOnlySpan<byte> sent) == CliStatus.Ok && Encoding.UTF8.GetString(sent) == canonical,
            "cli: the request codec changed the command line");
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}
