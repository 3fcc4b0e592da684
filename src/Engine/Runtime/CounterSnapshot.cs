using System.Collections;

namespace MptFast.Engine.Runtime;

/// <summary>One value under its published name (snake_case: the status JSON key and the metric name).</summary>
/// <param name="Name">The published name; a unit suffix (<c>_bytes</c>, <c>_us</c>, <c>_ppm</c>…) says what it counts.</param>
/// <param name="Value">The value.</param>
/// <param name="Kind">A count that only grows (the default) or a level that goes up and down.</param>
public readonly record struct Counter(string Name, long Value, CounterKind Kind = CounterKind.Counter);

/// <summary>What kind of value a <see cref="Counter"/> is (Prometheus' counter and gauge types).</summary>
public enum CounterKind : byte
{
    /// <summary>Only grows while its owner lives (events, packets, bytes); rendered as <c>..._total</c>.</summary>
    Counter,

    /// <summary>A level measured now (a queue length, a delay, a rate, handshakes under way).</summary>
    Gauge,

    /// <summary>Only grows: a sum of durations in the unit its name ends with (<c>_us</c>, <c>_ms</c>); rendered as
    /// <c>..._seconds_total</c>.</summary>
    Duration,
}

/// <summary>
/// Counter values as their owner published them at one moment. Each owner of counters (a pump, a path, a socket, the
/// control loop) lists every counter once, in one method beside the fields, with the name it is shown under; the status
/// model carries these lists and every rendering (text, JSON, metrics) reads them — so a new counter is a field
/// and one line beside it. Values are read with <see cref="Volatile.Read(ref long)"/>: a snapshot may mix instants but
/// never tears a number (STYLE.md "Hot paths": plain fields, one writer thread each, published by snapshot).
/// </summary>
public sealed class CounterSnapshot : IReadOnlyList<Counter>
{
    private readonly List<Counter> _values = [];

    /// <inheritdoc/>
    public int Count => _values.Count;

    /// <inheritdoc/>
    public Counter this[int index] => _values[index];

    /// <summary>The value published as <paramref name="name"/>; throws when there is none (a renderer asked for a name
    /// no owner publishes).</summary>
    public long this[string name] => TryGet(name, out long value) ? value : throw new KeyNotFoundException($"no counter '{name}'");

    /// <summary>Sum of every value.</summary>
    public long Total
    {
        get
        {
            long sum = 0;
            foreach (Counter c in _values)
            {
                sum += c.Value;
            }

            return sum;
        }
    }

    /// <summary>Adds a counter the owner's thread writes: read once with <see cref="Volatile.Read(ref long)"/>.</summary>
    public CounterSnapshot Add(string name, ref long field) => Add(name, Volatile.Read(ref field));

    /// <summary>Adds a value.</summary>
    public CounterSnapshot Add(string name, long value) => Add(name, value, CounterKind.Counter);

    /// <summary>Adds a level that goes up and down (not a count of events): metrics show it as a gauge.</summary>
    public CounterSnapshot Gauge(string name, long value) => Add(name, value, CounterKind.Gauge);

    /// <summary>Adds a time that only grows (the sum of durations), in the unit its name ends with.</summary>
    public CounterSnapshot Duration(string name, long value) => Add(name, value, CounterKind.Duration);

    private CounterSnapshot Add(string name, long value, CounterKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _values.Add(new Counter(name, value, kind));
        return this;
    }

    /// <summary>Adds every counter of <paramref name="other"/> (a second owner's list after this one's).</summary>
    public CounterSnapshot Append(CounterSnapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _values.AddRange(other._values);
        return this;
    }

    /// <summary>This snapshot's names with <paramref name="other"/>'s values of the same name added (and its other names
    /// after them): the totals of counters that continue across owners, e.g. pumps rebuilt by a reload.</summary>
    public CounterSnapshot Plus(CounterSnapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var sum = new CounterSnapshot();
        foreach (Counter c in _values)
        {
            sum.Add(c.Name, c.Value + (other.TryGet(c.Name, out long more) ? more : 0), c.Kind);
        }

        foreach (Counter c in other._values)
        {
            if (!TryGet(c.Name, out _))
            {
                sum.Add(c.Name, c.Value, c.Kind);
            }
        }

        return sum;
    }

    /// <summary>The value published as <paramref name="name"/>, if any.</summary>
    public bool TryGet(string name, out long value)
    {
        foreach (Counter c in _values)
        {
            if (string.Equals(c.Name, name, StringComparison.Ordinal))
            {
                value = c.Value;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <inheritdoc/>
    public IEnumerator<Counter> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
