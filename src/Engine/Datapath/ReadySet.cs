using MptFast.Engine.Runtime;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The receive thread's bookkeeping of what needs it (issue 15: cost flat in the number of connections): which
/// connections have a readable socket in this wake-up (each once, in the order their sockets were reported), the socket
/// range of each connection (its sockets are consecutive in the pump's list), and which connections' reorder buffers hold
/// packets — the only ones whose hold timers exist. Preallocated; nothing allocates per wake-up. Receive thread only.
/// </summary>
internal sealed class ReadySet
{
    private readonly int[] _connectionOfSocket;
    private readonly int[] _first;
    private readonly int[] _end;
    private readonly int[] _readyMark;
    private readonly int[] _ready;
    private readonly bool[] _isHolding;
    private readonly int[] _holding;
    private int _epoch = 1;

    /// <summary>The set for <paramref name="connections"/>, whose <paramref name="sockets"/> path sockets are listed connection by connection.</summary>
    public ReadySet(ConnectionRuntime[] connections, int sockets)
    {
        _connectionOfSocket = new int[sockets];
        _first = new int[connections.Length];
        _end = new int[connections.Length];
        int s = 0;
        for (int c = 0; c < connections.Length; c++)
        {
            _first[c] = s;
            for (int p = 0; p < connections[c].Paths.Length; p++)
            {
                _connectionOfSocket[s++] = c;
            }

            _end[c] = s;
        }

        _readyMark = new int[connections.Length];
        _ready = new int[connections.Length];
        _isHolding = new bool[connections.Length];
        _holding = new int[connections.Length];
    }

    /// <summary>Connections marked ready in this wake-up.</summary>
    public int Count { get; private set; }

    /// <summary>Ready connection <paramref name="index"/> (position in the pump's connection list).</summary>
    public int this[int index] => _ready[index];

    /// <summary>Connections whose reorder buffer holds packets.</summary>
    public int HoldingCount { get; private set; }

    /// <summary>Holding connection <paramref name="index"/>.</summary>
    public int Holding(int index) => _holding[index];

    /// <summary>Starts a wake-up: no connection is ready.</summary>
    public void Clear()
    {
        Count = 0;
        _epoch++;
    }

    /// <summary>Socket <paramref name="socket"/> is readable: its connection is ready (once).</summary>
    public void MarkSocket(int socket)
    {
        int c = _connectionOfSocket[socket];
        if (_readyMark[c] != _epoch)
        {
            _readyMark[c] = _epoch;
            _ready[Count++] = c;
        }
    }

    /// <summary>The socket range [first, end) of connection <paramref name="connection"/>.</summary>
    public (int First, int End) Sockets(int connection) => (_first[connection], _end[connection]);

    /// <summary>Whether <paramref name="connection"/>'s reorder buffer holds packets now (adds or removes it; O(1) to add,
    /// removal swaps the last one in — callers walking <see cref="Holding"/> do so backwards).</summary>
    public void NoteHolding(int connection, bool holding)
    {
        if (holding == _isHolding[connection])
        {
            return;
        }

        _isHolding[connection] = holding;
        if (holding)
        {
            _holding[HoldingCount++] = connection;
            return;
        }

        for (int i = 0; i < HoldingCount; i++)
        {
            if (_holding[i] == connection)
            {
                _holding[i] = _holding[--HoldingCount];
                return;
            }
        }
    }
}
