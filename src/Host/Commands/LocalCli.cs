using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Wire;

namespace MptFast.Host.Commands;

/// <summary>
/// Sends one command line to the daemon's local control socket (issue 14) and collects the reply: the request and reply
/// frames are the command port's (MPT-SPEC §4.8), one per seqpacket message; the daemon closes after the end frame.
/// Exit statuses as <see cref="CliCommand"/>: 6 for CMD-ERROR (a refused peer included), 7 when no daemon answers.
/// </summary>
internal static class LocalCli
{
    public static CliCommand.Reply Send(string socketPath, TimeSpan timeout, string commandLine, bool raw)
    {
        byte[] buffer = new byte[65536];
        if (CliCodec.TryWriteRequest(buffer, commandLine, out int length) != CliStatus.Ok)
        {
            throw new UsageException("command line too long");
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException e)
        {
            string why = e.SocketErrorCode switch
            {
                SocketError.AccessDenied => "permission denied — the control socket is root's (or control_gid's); run as root",
                SocketError.ConnectionRefused => "nobody listens on it — is mptfast running?",
                SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported => "no such socket — is mptfast running?",
                _ => e.Message + " — is mptfast running?",
            };
            if (e.NativeErrorCode == 2)
            {
                why = "no such socket — is mptfast running (and is this its control_socket; see --socket, -c DIR)?";
            }

            return new CliCommand.Reply(CliCommand.ExitNoAnswer, "", $"mptfast: cannot connect to {socketPath}: {why}\n");
        }

        socket.Send(buffer.AsSpan(0, length));
        var output = new StringBuilder();
        bool ok = true;
        bool any = false;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            int remainingMs = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
            if (remainingMs <= 0 || !socket.Poll(remainingMs * 1000, SelectMode.SelectRead))
            {
                break;
            }

            int n = socket.Receive(buffer);
            if (n == 0)
            {
                break;
            }

            if (CliCommand.AddReplyFrame(buffer.AsSpan(0, n), output, raw, ref ok, ref any) is CliCommand.Reply exit)
            {
                return exit;
            }
        }

        return new CliCommand.Reply(CliCommand.ExitNoAnswer, output.ToString(),
            $"mptfast: {(any ? "the reply ended without an end marker" : "no answer")} from the daemon at {socketPath} " +
            $"within {timeout.TotalSeconds:0.#} s\n");
    }
}
