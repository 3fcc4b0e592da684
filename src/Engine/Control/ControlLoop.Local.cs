using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Control.Local;
using MptFast.Engine.Logging;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control;

/// <summary>The control thread's local control socket (issue 14) beside the UDP command port.</summary>
public sealed partial class ControlLoop
{
    private readonly List<Socket> _readable = [];
    private readonly List<Socket> _candidates = [];
    private LocalControlSocket? _local;
    private ControlAccessPolicy _policy = new(null);
    private long _udpCliRefused;
    private long _localRefused;

    private delegate void FrameSink(ReadOnlySpan<byte> frame);

    /// <summary>Serve the original's CLI on the UDP command port from loopback (<c>cli_udp</c>; off by default, B59).</summary>
    public bool CliOverUdp { get; set; }

    /// <summary>CLI datagrams ignored on the command port because <see cref="CliOverUdp"/> is off.</summary>
    public long UdpCliRefused => Interlocked.Read(ref _udpCliRefused);

    /// <summary>Local control connections refused by the <see cref="ControlAccessPolicy"/>.</summary>
    public long LocalRefused => Interlocked.Read(ref _localRefused);

    /// <summary>Serves <paramref name="local"/> under <paramref name="policy"/> from now on (it owns the socket). Before <see cref="Run"/>.</summary>
    public void ServeLocal(LocalControlSocket local, ControlAccessPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(policy);
        _local = local;
        _policy = policy;
    }

    /// <summary>One wait of at most <paramref name="timeoutMs"/> on the command port, the link monitor's events and the
    /// local sockets together, ended early by <see cref="Post"/> and <see cref="Stop"/> (<see cref="IControlWait"/>);
    /// the readable sockets.</summary>
    private List<Socket> PollReadable(int timeoutMs)
    {
        _readable.Clear();
        _candidates.Clear();
        _candidates.Add(_command);
        if (_links.Events is { } events)
        {
            _candidates.Add(events);
        }

        if (_local is not null)
        {
            _candidates.AddRange(_local.Sockets);
        }

        try
        {
            _wait.Wait(_candidates, timeoutMs, _readable);
        }
        catch (ObjectDisposedException)
        {
            _readable.Clear();
        }

        return _readable;
    }

    private void ServeLocal(Socket readable)
    {
        LocalRequest? request;
        try
        {
            request = _local!.Serve(readable, _receive);
        }
        catch (SocketException e)
        {
            Log.Debug($"control socket: {e.SocketErrorCode}");
            return;
        }

        if (request is null)
        {
            return;
        }

        LocalClient client = request.Client;
        void Reply(CommandReply reply)
        {
            WriteReplyFrames(reply, client.Send);
            client.Close();
        }

        if (CliCodec.DecodeRequest(request.Message.Span, out ReadOnlySpan<byte> line) != CliStatus.Ok)
        {
            Log.Warn($"control socket: malformed request from {request.Peer}");
            Reply(new CommandReply(false, "malformed request"));
            return;
        }

        string command = Encoding.UTF8.GetString(line);
        if (!_policy.Allows(request.Peer, out string refusal))
        {
            Interlocked.Increment(ref _localRefused);
            Log.Warn($"control socket: '{command}' from {request.Peer} refused: {refusal}");
            Reply(new CommandReply(false, refusal));
            return;
        }

        Log.Info($"control socket: '{command}' from {request.Peer}");
        Execute(command, Reply);
    }

    // MPT-SPEC §4.8: the reply in frames of at most 60,000 bytes of text, then the end frame — on either channel.
    private void WriteReplyFrames(CommandReply reply, FrameSink sink)
    {
        byte[] text = Encoding.UTF8.GetBytes(reply.Text);
        const int maxText = 60000;
        int offset = 0;
        do
        {
            int take = Math.Min(maxText, text.Length - offset);
            CliCodec.TryWriteReply(_send, reply.Ok, text.AsSpan(offset, take), out int written);
            sink(_send.AsSpan(0, written));
            offset += take;
        }
        while (offset < text.Length);

        int end = CliCodec.WriteEnd(_send);
        sink(_send.AsSpan(0, end));
    }
}
