// The two-level layout: every key's 65 536-entry table is cut into 256 pages of 256 entries; equal
// pages are stored once (most are "all NoPath"), and a page index of 4 keys × 256 pages per
// connection holds each page's offset. Lookup = two dependent loads.
using System;
using System.Collections.Generic;
using MptFast.Engine.Mapping;

namespace MptFast.Generators.Emitter
{
    internal sealed class PageTable
    {
        public const int PageSize = 256;

        /// <summary>Page-index entries per connection: 4 keys × 256 pages.</summary>
        public const int IndexPerConnection = PortMapRules.KeyCount * (PortMapRules.PortsPerKey / PageSize);

        private readonly Dictionary<byte[], int> _offsets = new Dictionary<byte[], int>(new PageComparer());
        private readonly List<byte[]> _pages = new List<byte[]>();
        private readonly List<int> _index = new List<int>();

        public PageTable()
        {
            // Page 0 is the empty page, so a connection without port maps costs only its index.
            var empty = new byte[PageSize];
            for (int i = 0; i < empty.Length; i++)
            {
                empty[i] = PortMapRules.NoPath;
            }

            Intern(empty);
        }

        /// <summary>Distinct pages in order of first use.</summary>
        public IReadOnlyList<byte[]> Pages => _pages;

        /// <summary>Byte offset of each page into the page data, <see cref="IndexPerConnection"/> entries per connection.</summary>
        public IReadOnlyList<int> Index => _index;

        /// <summary>Adds one connection's flat <see cref="PortMapRules.BuildTable"/> table.</summary>
        public void AddConnection(byte[] flatTable)
        {
            if (flatTable.Length != PortMapRules.KeyCount * PortMapRules.PortsPerKey)
            {
                throw new ArgumentException("not a flat port-map table", nameof(flatTable));
            }

            for (int page = 0; page < IndexPerConnection; page++)
            {
                var bytes = new byte[PageSize];
                Array.Copy(flatTable, page * PageSize, bytes, 0, PageSize);
                _index.Add(Intern(bytes));
            }
        }

        private int Intern(byte[] page)
        {
            if (!_offsets.TryGetValue(page, out int offset))
            {
                offset = _pages.Count * PageSize;
                _pages.Add(page);
                _offsets.Add(page, offset);
            }

            return offset;
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
