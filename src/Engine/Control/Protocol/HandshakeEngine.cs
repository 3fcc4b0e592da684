using System.Net;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// Runs many handshakes concurrently without blocking (MPT-SPEC §4.9 Required, F82): one receiver dispatches each
/// reply to the initiator it belongs to (B39). At most one handshake per (command, tunnel pair) is on the wire at a
/// time — the responder keeps one session per pair — later ones wait in a queue. Single-threaded: call everything
/// from the control thread.
/// </summary>
public sealed class HandshakeEngine
{
    private readonly IControlTransport _transport;
    private readonly List<Entry> _active = [];
    private readonly List<Entry> _queued = [];
    private readonly List<Entry> _finished = [];

    /// <summary>Creates an engine that sends through <paramref name="transport"/>.</summary>
    public HandshakeEngine(IControlTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
    }

    /// <summary>Handshakes on the wire.</summary>
    public int ActiveCount => _active.Count;

    /// <summary>Handshakes waiting for an earlier one with the same command and tunnel pair.</summary>
    public int QueuedCount => _queued.Count;

    /// <summary>
    /// Starts (or queues) a handshake. <paramref name="onCompleted"/> runs on the calling thread from a later
    /// <see cref="HandleReply"/> or <see cref="Tick"/>, and may start further handshakes.
    /// </summary>
    public HandshakeInitiator Start(HandshakeRequest request, long now, Action<HandshakeOutcome>? onCompleted = null)
    {
        var entry = new Entry(new HandshakeInitiator(request), onCompleted);
        if (IsBusy(request))
        {
            _queued.Add(entry);
        }
        else
        {
            _active.Add(entry);
            entry.Initiator.Start(_transport, now);
        }

        return entry.Initiator;
    }

    /// <summary>
    /// Offers a datagram received on the command port. True when it was a reply to one of our handshakes (consumed,
    /// even if ignored as unauthentic); false when the responder should look at it.
    /// </summary>
    public bool HandleReply(ReadOnlySpan<byte> datagram, IPEndPoint from, long now)
    {
        bool consumed = false;
        foreach (Entry entry in _active)
        {
            ReplyDisposition d = entry.Initiator.OnReply(datagram, from, _transport, now);
            if (d == ReplyDisposition.NotMine)
            {
                continue;
            }

            consumed = true;
            if (d == ReplyDisposition.Completed)
            {
                _finished.Add(entry);
            }

            break;
        }

        Finish(now);
        return consumed;
    }

    /// <summary>Drives resends and timeouts (call at least every few hundred milliseconds).</summary>
    public void Tick(long now)
    {
        foreach (Entry entry in _active)
        {
            if (entry.Initiator.Tick(_transport, now))
            {
                _finished.Add(entry);
            }
        }

        Finish(now);
    }

    private bool IsBusy(HandshakeRequest request)
    {
        foreach (Entry e in _active)
        {
            if (SameKey(e.Initiator.Request, request))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SameKey(HandshakeRequest a, HandshakeRequest b) =>
        a.Command == b.Command && a.LocalTunnel == b.LocalTunnel && a.RemoteTunnel == b.RemoteTunnel;

    private void Finish(long now)
    {
        if (_finished.Count == 0)
        {
            return;
        }

        Entry[] done = [.. _finished];
        _finished.Clear();
        foreach (Entry entry in done)
        {
            _active.Remove(entry);
            int next = _queued.FindIndex(q => SameKey(q.Initiator.Request, entry.Initiator.Request));
            if (next >= 0)
            {
                Entry queued = _queued[next];
                _queued.RemoveAt(next);
                _active.Add(queued);
                queued.Initiator.Start(_transport, now);
            }
        }

        foreach (Entry entry in done)
        {
            entry.OnCompleted?.Invoke(entry.Initiator.Outcome!);
        }
    }

    private sealed record Entry(HandshakeInitiator Initiator, Action<HandshakeOutcome>? OnCompleted);
}
