using System.Numerics;
using System.Runtime.InteropServices;

namespace MptFast.Engine.Reorder;

/// <summary>
/// Receive reorder buffer of one connection (MPT-SPEC §7 with the "Required" of §7.6, B20–B29),
/// over opaque packet handles. Sequence numbers use serial arithmetic, d = (int)(seq − expected):
/// <list type="bullet">
/// <item>d = 0: delivered at once (no added latency), then every held successor that is now in order.</item>
/// <item>0 &lt; d &lt; W: held until the gap fills, or until the oldest held packet has waited
/// <see cref="HoldTicks"/>; then the gaps before it are given up and it and its successors are delivered in order.</item>
/// <item>d ≥ W: everything held is flushed in order and the buffer resynchronises on seq (jump).</item>
/// <item>−<see cref="LateBound"/> ≤ d &lt; 0: a number the buffer gave up (a gap skipped when its hold expired) is
/// delivered after all, out of order (<see cref="DeliveredLate"/>): the inner transport gets its data and sees
/// reordering instead of a loss — TCP undoes the window cut it made for it (DSACK, RFC 3708). Anything else is a
/// duplicate or a straggler behind a resynchronisation, dropped — unless <see cref="RestartLateStreak"/> such packets
/// arrive in a row with sequence numbers below <see cref="LateBound"/>, which means the peer restarted its counter.
/// The original drops every late packet (MPT-SPEC §7.3 step 1; §7.6 asks only that duplicates be dropped).</item>
/// <item>d &lt; −<see cref="LateBound"/>: peer restart or counter wrap: flush and resynchronise.</item>
/// </list>
/// After construction or <see cref="Reset()"/> the first packet sets the expected number (the
/// original waits for 0, §7.5 "5 6 on a fresh receiver"). Memory is W slots plus a 2W arrival queue
/// whose head is the oldest held packet, so the next deadline is O(1) (B25). Not thread-safe: one
/// receive thread owns it (B26). Times are in the caller's monotonic ticks (Stopwatch in the datapath).
/// </summary>
public sealed unsafe class ReorderBuffer : IDisposable
{
    /// <summary>Largest <c>reorder_window</c> (MPT-SPEC §5.4, B24).</summary>
    public const int MaxWindow = 10_000;

    /// <summary>Smallest late bound, so one straggler on a small window is dropped, not taken for a restart.</summary>
    public const int MinLateBound = 256;

    /// <summary>This many late packets in a row (nothing in order between) = the peer restarted below us.</summary>
    public const int RestartLateStreak = 64;

    // The W slots and the 2W arrival queue (entries behind `expected` are stale and popped) live in one calloc'd block
    // made by the constructor, never on the receive thread. For a block this size calloc maps fresh zero pages that
    // become resident only when touched, so a server's hundred idle connections with reorder_window = 10 000 (33 bytes
    // a slot, 330 KB each) cost address space, not memory (issue 15). Freed by the finalizer: the buffer has no
    // other resource and lives as long as its connection.
    private void* _block;
    private long* _queueArrivals;
    private int* _handles;
    private uint* _seqs;
    private uint* _queueSeqs;
    private bool* _present;
    private bool* _abandoned;
    private ulong* _skipped;
    private readonly int _skippedMask;

    // A mark (given up, or passed without its packet) was set since the marks were last cleared: only then do a reset
    // or a resynchronisation clear them — clearing touches the pages, and an idle connection's block must stay
    // untouched (issue 15: a hundred idle connections with 10 000-packet windows).
    private bool _marked;
    private readonly int _queueCapacity;
    private int _queueHead;
    private int _queueCount;

    private long _holdTicks;
    private uint _expected;
    private int _start;
    private int _held;
    private bool _synchronised;
    private int _lateStreak;

    /// <summary>A buffer for window <paramref name="window"/> (1–10 000) and hold time (max_buffdelay) in ticks.</summary>
    public ReorderBuffer(int window, long holdTicks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, MaxWindow);
        Window = window;
        LateBound = Math.Max(2 * (window + 1), MinLateBound);
        HoldTicks = holdTicks;
        _queueCapacity = 2 * window;
        int skippedBits = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(LateBound, 64));
        _skippedMask = skippedBits - 1;
        nuint bitmapOffset = ((nuint)window * BytesPerSlot + 7) & ~(nuint)7;
        _block = NativeMemory.AllocZeroed(bitmapOffset + (nuint)(skippedBits / 8));
        _queueArrivals = (long*)_block;
        _handles = (int*)(_queueArrivals + _queueCapacity);
        _seqs = (uint*)(_handles + window);
        _queueSeqs = _seqs + window;
        _present = (bool*)(_queueSeqs + _queueCapacity);
        _abandoned = _present + window;
        _skipped = (ulong*)((byte*)_block + bitmapOffset);
    }

    /// <summary>Bytes of the block per window slot: a handle, a sequence number, present and given-up flags and two
    /// arrival-queue entries (sequence number and arrival time). The block ends with a bitmap of the numbers given up, one bit per
    /// number of the late bound (rounded up to a power of two; 4 KB for the largest window).</summary>
    public const int BytesPerSlot = sizeof(int) + sizeof(uint) + (2 * sizeof(bool)) + (2 * (sizeof(uint) + sizeof(long)));

    ~ReorderBuffer() => Release();

    /// <summary>
    /// Frees the block now, when the connection is retired (a reload replaces every connection's runtime, and the
    /// finalizer of an object that lived to gen 2 may not run for hours: the soak saw RSS grow by the touched part of
    /// each retired block, 330 KB for a 10 000-packet window). Only once no thread uses the buffer (the datapath threads
    /// stopped), and never used again; a second call does nothing.
    /// </summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        void* block = _block;
        _block = null;
        _queueArrivals = null;
        _handles = null;
        _seqs = null;
        _queueSeqs = null;
        _present = null;
        _abandoned = null;
        _skipped = null;
        NativeMemory.Free(block);
    }

    /// <summary>True when <paramref name="seq"/> is held (waiting for an earlier gap).</summary>
    public bool IsHeld(uint seq)
    {
        int d = (int)(seq - _expected);
        if (!_synchronised || d <= 0 || d >= Window)
        {
            return false;
        }

        int slot = _start + d;
        if (slot >= Window)
        {
            slot -= Window;
        }

        return _present[slot] && _seqs[slot] == seq;
    }

    /// <summary>W: sequence numbers expected … expected + W − 1 can be held.</summary>
    public int Window { get; }

    /// <summary>How far behind expected a packet is still "late" rather than a restart: max(2(W+1), 256).</summary>
    public int LateBound { get; }

    /// <summary>How long a held packet may wait for its gap (max_buffdelay); changeable at run time.</summary>
    public long HoldTicks
    {
        get => _holdTicks;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _holdTicks = value;
        }
    }

    /// <summary>When set, gap fills and late drops feed it and <see cref="HoldTicks"/> follows it.</summary>
    public AdaptiveHold? Adaptive { get; set; }

    /// <summary>Next expected sequence number (meaningful once <see cref="IsSynchronised"/>).</summary>
    public uint Expected => _expected;

    /// <summary>False until the first packet after construction or reset.</summary>
    public bool IsSynchronised => _synchronised;

    /// <summary>Packets held right now.</summary>
    public int Held => _held;

    /// <summary>When <see cref="Expire{TSink}"/> next has work: the oldest held packet's deadline, or <see cref="long.MaxValue"/>.</summary>
    public long NextDeadline =>
        _held == 0 ? long.MaxValue : SaturatingAdd(_queueArrivals[_queueHead], _holdTicks);

    /// <summary>Packets delivered (counters survive <see cref="Reset()"/>).</summary>
    public long Delivered { get; private set; }

    /// <summary>Packets that had to wait for a gap.</summary>
    public long HeldTotal { get; private set; }

    public long DroppedLate { get; private set; }

    /// <summary>Packets whose number had been given up, delivered when they arrived after all (also in <see cref="Delivered"/>).</summary>
    public long DeliveredLate { get; private set; }

    public long DroppedDuplicate { get; private set; }

    public long DroppedByReset { get; private set; }

    /// <summary>Jumps (d ≥ W), restarts and wraps the buffer resynchronised on.</summary>
    public long Resyncs { get; private set; }

    /// <summary>Sequence numbers given up (never arrived before a later packet was released).</summary>
    public long GapsSkipped { get; private set; }

    /// <summary>Numbers the sender said it will not send again (<see cref="GiveUp{TSink}"/>), passed without waiting.</summary>
    public long GapsGivenUp { get; private set; }

    /// <summary>Gaps that filled while packets were held.</summary>
    public long GapsFilled { get; private set; }

    /// <summary>Takes one packet with its GRE sequence number; the sink hears about it (and any packets it releases) before this returns.</summary>
    public void Push<TSink>(uint seq, int handle, long nowTicks, ref TSink sink)
        where TSink : struct, IReorderSink
    {
        if (_held > 0 && nowTicks >= NextDeadline)
        {
            Expire(nowTicks, ref sink);
        }

        if (!_synchronised)
        {
            _synchronised = true;
            _expected = seq;
        }

        int d = (int)(seq - _expected);
        if (d == 0)
        {
            _lateStreak = 0;
            long oldestArrival = _held > 0 ? _queueArrivals[_queueHead] : 0;
            DeliverInOrder(handle, ref sink);
            if (_held > 0 && _present[_start])
            {
                GapsFilled++;
                // A gap that filled at the instant its packets arrived (one receive round) says nothing about the paths'
                // delay difference; a flood of such zeros would pull the hold down to its floor.
                if (nowTicks > oldestArrival)
                {
                    Adaptive?.ObserveReorderDelay(nowTicks - oldestArrival);
                    ApplyAdaptive();
                }
            }

            DeliverRun(ref sink);
            return;
        }

        if (d > 0)
        {
            _lateStreak = 0;
            if (d >= Window)
            {
                Resynchronise(seq, handle, ref sink);
                return;
            }

            Hold(seq, d, handle, nowTicks, ref sink);
            return;
        }

        // A run of late packets means a restart only when they look like a fresh counter (the original starts at 0):
        // far from zero they are a gap's packets landing after a resynchronisation, often a whole GRO message of them
        // in a row, and taking them for a restart would jump back and drop the stream that is in order.
        if (-(long)d <= LateBound && IsSkipped(seq))
        {
            // A gap given up too early: its packet still reaches the inner transport (out of order), once.
            _lateStreak = 0;
            MarkSkipped(seq, false);
            Delivered++;
            DeliveredLate++;
            Adaptive?.ObserveLate();
            ApplyAdaptive();
            sink.Deliver(handle);
            return;
        }

        if (-(long)d <= LateBound && (++_lateStreak < RestartLateStreak || seq >= (uint)LateBound))
        {
            DroppedLate++;
            Adaptive?.ObserveLate();
            ApplyAdaptive();
            sink.Drop(handle, ReorderDrop.Late);
            return;
        }

        Resynchronise(seq, handle, ref sink);
    }

    /// <summary>
    /// The sender will not send numbers <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1
    /// again (an MptFast peer left a loss to the inner transport, see <c>AdaptiveScheduler.RepairPaths</c>): the ones
    /// still missing within the window are passed as soon as the stream reaches them, instead of after the hold — the
    /// inner TCP learns of the loss a round trip later, not a hold later, and its ACK clock does not stall meanwhile.
    /// A given-up packet that arrives after all is still delivered (in order if it comes first, else late). Returns how
    /// many numbers were marked. Numbers outside the window (already passed, or a window or more ahead) are ignored.
    /// </summary>
    public int GiveUp<TSink>(uint first, int count, ref TSink sink)
        where TSink : struct, IReorderSink
    {
        if (!_synchronised || count <= 0)
        {
            return 0;
        }

        // Only the part of the range inside [expected, expected + W): a peer's range of 65 535 costs a window at most.
        long from = Math.Max(0, (long)(int)(first - _expected));
        long to = Math.Min(Window, (long)(int)(first - _expected) + count);
        int marked = 0;
        for (long d = from; d < to; d++)
        {
            int slot = _start + (int)d;
            if (slot >= Window)
            {
                slot -= Window;
            }

            if (!_present[slot] && !_abandoned[slot])
            {
                _abandoned[slot] = true;
                _marked = true;
                marked++;
            }
        }

        DeliverRun(ref sink);
        return marked;
    }

    /// <summary>Releases every held packet whose deadline has passed, with everything before it in order (gaps given up).</summary>
    public void Expire<TSink>(long nowTicks, ref TSink sink)
        where TSink : struct, IReorderSink
    {
        while (_held > 0 && nowTicks >= NextDeadline)
        {
            uint target = _queueSeqs[_queueHead];
            int before = (int)(target - _expected);
            if (_queueCount == 0 || before < 0 || before >= Window)
            {
                break; // cannot happen while the queue head is the oldest held packet; never loop on it
            }

            for (int k = 0; k < before; k++)
            {
                ReleaseFrontOrSkip(ref sink);
            }

            DeliverRun(ref sink);
        }
    }

    /// <summary>Delivers everything held, in order, giving up the gaps between; stays synchronised after the last one.</summary>
    public void Flush<TSink>(ref TSink sink)
        where TSink : struct, IReorderSink
    {
        // Everything held is within one window of expected, so W steps release it all.
        for (int step = 0; step < Window && _held > 0; step++)
        {
            ReleaseFrontOrSkip(ref sink);
        }

        _queueHead = 0;
        _queueCount = 0;
    }

    /// <summary>Forgets the stream (connection start): held packets are dropped with <see cref="ReorderDrop.Reset"/>.</summary>
    public void Reset<TSink>(ref TSink sink)
        where TSink : struct, IReorderSink
    {
        for (int i = 0; i < Window && _held > 0; i++)
        {
            if (_present[i])
            {
                _present[i] = false;
                _held--;
                DroppedByReset++;
                sink.Drop(_handles[i], ReorderDrop.Reset);
            }
        }

        Reset();
    }

    /// <summary>Forgets the stream when nothing is held (use <see cref="Reset{TSink}"/> or <see cref="Flush{TSink}"/> otherwise).</summary>
    public void Reset()
    {
        if (_held != 0)
        {
            throw new InvalidOperationException("packets are still held: flush or reset with a sink first");
        }

        _synchronised = false;
        _expected = 0;
        _start = 0;
        _queueHead = 0;
        _queueCount = 0;
        _lateStreak = 0;
        ForgetMarks();
    }

    private void Hold<TSink>(uint seq, int d, int handle, long nowTicks, ref TSink sink)
        where TSink : struct, IReorderSink
    {
        int slot = _start + d;
        if (slot >= Window)
        {
            slot -= Window;
        }

        if (_present[slot])
        {
            DroppedDuplicate++;
            sink.Drop(handle, ReorderDrop.Duplicate);
            return;
        }

        _present[slot] = true;
        if (_abandoned[slot])
        {
            _abandoned[slot] = false; // given up, but here after all
        }

        _handles[slot] = handle;
        _seqs[slot] = seq;
        _held++;
        HeldTotal++;

        // Cannot overflow: live entries < W and stale ones (delivered while an older packet still waits) < W.
        int tail = _queueHead + _queueCount;
        if (tail >= _queueCapacity)
        {
            tail -= _queueCapacity;
        }

        _queueSeqs[tail] = seq;
        _queueArrivals[tail] = nowTicks;
        _queueCount++;
    }

    private void Resynchronise<TSink>(uint seq, int handle, ref TSink sink)
        where TSink : struct, IReorderSink
    {
        Flush(ref sink);
        Resyncs++;
        _lateStreak = 0;

        // What the flush gave up stays deliverable; a jump forward skips numbers that are not gaps of the stream (a
        // restart or a wrap is a new stream): those bits must not say "given up" for the numbers they stand for now.
        // The window now starts elsewhere too: a given-up mark left ahead would stand for another number.
        uint jump = seq - _expected;
        if (jump <= (uint)_skippedMask)
        {
            for (uint k = 0; k < jump; k++)
            {
                MarkSkipped(_expected + k, false);
            }

            if (_marked)
            {
                new Span<bool>(_abandoned, Window).Clear();
            }
        }
        else
        {
            ForgetMarks();
        }

        _expected = seq;
        DeliverInOrder(handle, ref sink);
    }

    private void DeliverInOrder<TSink>(int handle, ref TSink sink)
        where TSink : struct, IReorderSink
    {
        Delivered++;
        sink.Deliver(handle);
        Advance(skipped: false);
    }

    private void DeliverRun<TSink>(ref TSink sink)
        where TSink : struct, IReorderSink
    {
        // The front is passed while its packet is here or the sender gave its number up (the front is never left on a
        // given-up number, so the wait for a gap is only ever for numbers that may still come).
        while ((_held > 0 && _present[_start]) || _abandoned[_start])
        {
            ReleaseFrontOrSkip(ref sink);
        }
    }

    private void ReleaseFrontOrSkip<TSink>(ref TSink sink)
        where TSink : struct, IReorderSink
    {
        if (_present[_start])
        {
            _present[_start] = false;
            _held--;
            Delivered++;
            sink.Deliver(_handles[_start]);
            Advance(skipped: false);
        }
        else
        {
            GapsSkipped++;
            GapsGivenUp += _abandoned[_start] ? 1 : 0;
            Advance(skipped: true);
        }
    }

    private void Advance(bool skipped)
    {
        // The bitmap covers the late bound behind expected; each number's bit is written as expected passes it.
        MarkSkipped(_expected, skipped);
        if (_abandoned[_start])
        {
            _abandoned[_start] = false;
        }

        _expected++;
        _start = _start + 1 == Window ? 0 : _start + 1;

        // Keep the queue head live: drop entries the stream has moved past.
        while (_queueCount > 0 && (int)(_queueSeqs[_queueHead] - _expected) < 0)
        {
            _queueHead = _queueHead + 1 == _queueCapacity ? 0 : _queueHead + 1;
            _queueCount--;
        }
    }

    private bool IsSkipped(uint seq)
    {
        int bit = (int)seq & _skippedMask;
        return (_skipped[bit >> 6] & (1UL << (bit & 63))) != 0;
    }

    private void MarkSkipped(uint seq, bool skipped)
    {
        int bit = (int)seq & _skippedMask;
        ref ulong word = ref _skipped[bit >> 6];
        ulong mask = 1UL << (bit & 63);
        if (skipped)
        {
            word |= mask;
            _marked = true;
        }
        else if ((word & mask) != 0)
        {
            word &= ~mask; // written only when set: an in-order stream reads the bitmap, never dirties its pages
        }
    }

    private void ForgetMarks()
    {
        if (_marked)
        {
            new Span<ulong>(_skipped, (_skippedMask + 1) / 64).Clear();
            new Span<bool>(_abandoned, Window).Clear();
            _marked = false;
        }
    }

    private void ApplyAdaptive()
    {
        if (Adaptive is { } adaptive)
        {
            _holdTicks = adaptive.HoldTicks;
        }
    }

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
