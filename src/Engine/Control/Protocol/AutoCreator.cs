using MptFast.Engine.Config;
using MptFast.Engine.Logging;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// <c>auto_create = 1</c> (issue 15: a site that bonds its links to a server needs nobody to type <c>mpt create</c>):
/// the daemon asks the peer to create the connection's mirror itself, as <c>mptfast create FILE</c> does — when the
/// connection is loaded (at start, or added by a reload), and again whenever every one of its paths has been down for
/// <see cref="RecheckMs"/> (the server restarted without <c>save</c>, or lost the connection otherwise). An MptFast
/// server answers a create for a connection it has with that connection's view, so asking again is harmless; an
/// original server answers 5 (exists), which counts as done. Failed or unanswered creates are tried again after
/// <see cref="FirstRetryMs"/>, doubling up to <see cref="MaxRetryMs"/>. Control thread only.
/// </summary>
internal sealed class AutoCreator(IControlConnections connections, CreateClient creates, Func<long> clockMs)
{
    /// <summary>Wait after a failed or unanswered create before the next.</summary>
    public const long FirstRetryMs = 5_000;

    /// <summary>Longest wait between two failed creates.</summary>
    public const long MaxRetryMs = 60_000;

    /// <summary>After a create, how long every path may be down before the next (a create restarts the connection, whose
    /// paths then need their first keepalives).</summary>
    public const long RecheckMs = 10_000;

    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);
    private long _generation; // of Tick: a state not seen in the last one belongs to a file no longer loaded

    /// <summary>Creates started.</summary>
    public long Started { get; private set; }

    /// <summary>Creates that failed or got no answer.</summary>
    public long Failed { get; private set; }

    /// <summary>Starts the creates that are due.</summary>
    public void Tick(long now)
    {
        _generation++;
        int watched = 0;
        for (int i = 0; i < connections.Count; i++)
        {
            ConnectionConfig c = connections.Connection(i);
            if (!c.AutoCreate)
            {
                continue;
            }

            watched++;
            if (!_states.TryGetValue(c.FileName, out State? state))
            {
                state = new State { NextAt = now };
                _states.Add(c.FileName, state);
            }

            state.Generation = _generation;
            if (state.InFlight || now < state.NextAt)
            {
                continue;
            }

            if (state.Done)
            {
                if (!EveryPathDown(i, c))
                {
                    state.DownSince = 0;
                    continue;
                }

                if (state.DownSince == 0)
                {
                    state.DownSince = now;
                }

                if (now - state.DownSince < RecheckMs)
                {
                    continue;
                }

                Log.Warn($"{c.FileName}: every path down for {(now - state.DownSince) / 1000} s: asking the peer to create the connection again (auto_create)");
            }

            state.InFlight = true;
            Started++;
            string file = c.FileName;
            creates.Start(file, now, outcome => Finished(file, outcome));
        }

        if (_states.Count > watched)
        {
            // Files no longer loaded (deleted, or auto_create taken out by a reload): loaded again, they create again.
            foreach (KeyValuePair<string, State> gone in _states.Where(s => s.Value.Generation != _generation && !s.Value.InFlight).ToArray())
            {
                _states.Remove(gone.Key);
            }
        }
    }

    private void Finished(string file, CreateClientOutcome outcome)
    {
        if (!_states.TryGetValue(file, out State? state))
        {
            return;
        }

        long now = clockMs();
        state.InFlight = false;
        bool done = outcome.Status is CreateClientStatus.Created or CreateClientStatus.CreatedNotMerged
            || (outcome.Status == CreateClientStatus.Failed && outcome.Code == HandshakeCodes.Exists);
        if (done)
        {
            Log.Info($"{file}: the peer {(outcome.Code == HandshakeCodes.Exists ? "has" : "created")} the connection (auto_create)");
            state.Done = true;
            state.DownSince = 0;
            state.RetryMs = FirstRetryMs;
            state.NextAt = now + RecheckMs;
            return;
        }

        Failed++;
        Log.Warn($"{file}: auto_create: {outcome.Status} (code {outcome.Code}): trying again in {state.RetryMs / 1000} s");
        state.NextAt = now + state.RetryMs;
        state.RetryMs = Math.Min(state.RetryMs * 2, MaxRetryMs);
    }

    private bool EveryPathDown(int connection, ConnectionConfig c)
    {
        for (int p = 0; p < c.Paths.Count; p++)
        {
            if (connections.GetPathStatus(connection, p) == PathStatus.Ok)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class State
    {
        public bool InFlight;
        public bool Done;
        public long NextAt;
        public long DownSince;
        public long Generation;
        public long RetryMs = FirstRetryMs;
    }
}
