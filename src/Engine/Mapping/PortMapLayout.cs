// MPT-SPEC §5.7, §6.4: the one memory layout of a port-map table.
//
// Compiled into both the runtime (src/Engine, PortMapTable builds it at load) and the build-time source generator
// (src/Generators, linked source, bakes it into the binary), exactly as PortMapRules.cs is, so a baked table and a
// table built at load have the same bytes and come from the same builder. Keep it netstandard2.0-clean: no
// Span-only APIs, no Engine types, no implicit usings.
using System;
using System.Collections.Generic;

namespace MptFast.Engine.Mapping
{
    /// <summary>
    /// The two-level port-map table of one connection, as one byte array.
    /// <para>
    /// First level, bytes 0 .. <see cref="IndexBytes"/>: <see cref="IndexLength"/> little-endian 32-bit entries, entry
    /// <c>row * 256 + (port &gt;&gt; 8)</c>, each holding the offset of that port's page minus <c>(port &gt;&gt; 8) * 256</c>,
    /// so that <c>entry + port</c> is the offset of the port's path byte (one add instead of shift, mask and or).
    /// Rows 0..3 are the keys in <see cref="PortMapKey"/> order (tcp_src, tcp_dst, udp_src, udp_dst); rows 4 and 5
    /// (<see cref="OtherRow"/>) are the source and destination rows of every other protocol and point at page 0 only,
    /// so the lookup picks rows by protocol with a table instead of branches. Second level, from
    /// <see cref="IndexBytes"/> on: pages of 256 path entries (<c>port &amp; 0xFF</c>), every distinct page stored once;
    /// page 0 maps nothing. A map with a handful of ports is the 6 KiB index and a few pages, small enough to stay in
    /// L1; one array means one reference to load per lookup.
    /// </para>
    /// </summary>
    public static class PortMapLayout
    {
        /// <summary>Entries of one page: the low byte of the port.</summary>
        public const int PageSize = 256;

        /// <summary>Pages per row: the high byte of the port.</summary>
        public const int PagesPerRow = PortMapRules.PortsPerKey / PageSize;

        /// <summary>Rows of the first level: the four keys, then the two rows of the other protocols.</summary>
        public const int RowCount = PortMapRules.KeyCount + 2;

        /// <summary>The source row of the protocols that are never mapped (its destination row follows it).</summary>
        public const int OtherRow = PortMapRules.KeyCount;

        /// <summary>First-level entries.</summary>
        public const int IndexLength = RowCount * PagesPerRow;

        /// <summary>Bytes of the first level; page 0 starts here.</summary>
        public const int IndexBytes = IndexLength * 4;

        /// <summary>Builds the table from a flat <see cref="PortMapRules.BuildTable"/> table.</summary>
        public static byte[] Build(byte[] flatTable)
        {
            if (flatTable is null)
            {
                throw new ArgumentNullException(nameof(flatTable));
            }

            if (flatTable.Length != PortMapRules.KeyCount * PortMapRules.PortsPerKey)
            {
                throw new ArgumentException("not a flat port-map table", nameof(flatTable));
            }

            var numbers = new Dictionary<byte[], int>(new PageComparer());
            var pages = new List<byte[]>();
            var empty = new byte[PageSize];
            for (int i = 0; i < empty.Length; i++)
            {
                empty[i] = PortMapRules.NoPath;
            }

            numbers.Add(empty, 0); // page 0; rows 4 and 5 keep it
            pages.Add(empty);
            var index = new int[IndexLength];
            for (int entry = 0; entry < PortMapRules.KeyCount * PagesPerRow; entry++)
            {
                var page = new byte[PageSize];
                Array.Copy(flatTable, entry * PageSize, page, 0, PageSize);
                if (!numbers.TryGetValue(page, out int number))
                {
                    number = pages.Count;
                    numbers.Add(page, number);
                    pages.Add(page);
                }

                index[entry] = number;
            }

            var table = new byte[IndexBytes + (pages.Count * PageSize)];
            for (int entry = 0; entry < IndexLength; entry++)
            {
                int value = IndexBytes + ((index[entry] - (entry % PagesPerRow)) * PageSize);
                for (int b = 0; b < 4; b++)
                {
                    table[(4 * entry) + b] = (byte)(value >> (8 * b));
                }
            }

            for (int i = 0; i < pages.Count; i++)
            {
                Array.Copy(pages[i], 0, table, IndexBytes + (i * PageSize), PageSize);
            }

            return table;
        }

        /// <summary>Offset in <paramref name="table"/> of the page that first-level entry <paramref name="entry"/> points at.</summary>
        public static int PageOffset(byte[] table, int entry)
        {
            if (table is null)
            {
                throw new ArgumentNullException(nameof(table));
            }

            int value = table[4 * entry] | (table[(4 * entry) + 1] << 8) | (table[(4 * entry) + 2] << 16) | (table[(4 * entry) + 3] << 24);
            return value + ((entry % PagesPerRow) * PageSize);
        }

        private sealed class PageComparer : IEqualityComparer<byte[]>
        {
            public bool Equals(byte[]? x, byte[]? y)
            {
                if (x is null || y is null || x.Length != y.Length)
                {
                    return ReferenceEquals(x, y);
                }

                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] != y[i])
                    {
                        return false;
                    }
                }

                return true;
            }

            public int GetHashCode(byte[] obj)
            {
                int hash = 17;
                foreach (byte b in obj)
                {
                    hash = unchecked((hash * 31) + b);
                }

                return hash;
            }
        }
    }
}
