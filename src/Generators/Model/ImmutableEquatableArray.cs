// STYLE.md "Source generators": the cached model holds only value-equal data, so an unchanged
// config file compares equal to its previous parse and the emit step stays Cached.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;

namespace MptFast.Generators.Model
{
    /// <summary>An immutable array that compares by content (netstandard2.0 twin of dotnet/runtime's ImmutableEquatableArray).</summary>
    internal sealed class ImmutableEquatableArray<T> : IEquatable<ImmutableEquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        private readonly T[] _items;

        public ImmutableEquatableArray(IEnumerable<T> items)
        {
            _items = items is null ? throw new ArgumentNullException(nameof(items)) : new List<T>(items).ToArray();
        }

        public static ImmutableEquatableArray<T> Empty { get; } = new ImmutableEquatableArray<T>(Array.Empty<T>());

        public int Count => _items.Length;

        public T this[int index] => _items[index];

        public bool Equals(ImmutableEquatableArray<T>? other)
        {
            if (other is null)
            {
                return false;
            }

            if (ReferenceEquals(this, other))
            {
                return true;
            }

            if (_items.Length != other._items.Length)
            {
                return false;
            }

            for (int i = 0; i < _items.Length; i++)
            {
                if (!EqualityComparer<T>.Default.Equals(_items[i], other._items[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is ImmutableEquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            int hash = 17;
            foreach (T item in _items)
            {
                hash = unchecked((hash * 31) + (item is null ? 0 : item.GetHashCode()));
            }

            return hash;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
    }

    internal static class ImmutableEquatableArray
    {
        public static ImmutableEquatableArray<T> ToImmutableEquatableArray<T>(this IEnumerable<T> items)
            where T : IEquatable<T> => new ImmutableEquatableArray<T>(items);

        public static ImmutableEquatableArray<T> ToImmutableEquatableArray<T>(this ImmutableArray<T> items)
            where T : IEquatable<T> => new ImmutableEquatableArray<T>(items);
    }
}
