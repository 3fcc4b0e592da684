// Aggregates per-port conflicts from PortMapRules.BuildTable into one readable diagnostic.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using MptFast.Engine.Mapping;

namespace MptFast.Generators.Parsing
{
    /// <summary>The ports of one key that both <see cref="FirstPath"/> and <see cref="SecondPath"/> list, as ascending ranges.</summary>
    internal sealed class ConflictGroup
    {
        private const int MaxListed = 5;

        public ConflictGroup(PortMapKey key, int firstPath, int secondPath)
        {
            Key = key;
            FirstPath = firstPath;
            SecondPath = secondPath;
        }

        public PortMapKey Key { get; }

        public int FirstPath { get; }

        public int SecondPath { get; }

        /// <summary>The clashing ports in the order the later path lists them.</summary>
        public List<PortRange> Ports { get; } = new List<PortRange>();

        /// <summary>The first clashing port in listing order (the diagnostic points at its token).</summary>
        public int FirstSeenPort => Ports[0].First;

        public void Add(int port)
        {
            int last = Ports.Count - 1;
            if (last >= 0 && Ports[last].Last + 1 == port)
            {
                Ports[last] = new PortRange(Ports[last].First, port);
            }
            else if (last < 0 || Ports[last].Last != port)
            {
                Ports.Add(new PortRange(port, port));
            }
        }

        /// <summary>"port 80 is" / "ports 80, 1000-1010 are" (at most five ranges listed).</summary>
        public string Describe()
        {
            var ordered = new List<PortRange>(Ports);
            ordered.Sort((a, b) => a.First.CompareTo(b.First));
            var sorted = new List<PortRange>(ordered.Count);
            foreach (PortRange range in ordered)
            {
                int last = sorted.Count - 1;
                if (last >= 0 && range.First <= sorted[last].Last + 1)
                {
                    sorted[last] = new PortRange(sorted[last].First, Math.Max(sorted[last].Last, range.Last));
                }
                else
                {
                    sorted.Add(range);
                }
            }

            bool single = sorted.Count == 1 && sorted[0].First == sorted[0].Last;
            var builder = new StringBuilder(single ? "port " : "ports ");
            for (int i = 0; i < sorted.Count && i < MaxListed; i++)
            {
                if (i > 0)
                {
                    builder.Append(", ");
                }

                builder.Append(sorted[i].ToString());
            }

            if (sorted.Count > MaxListed)
            {
                builder.Append(" and ").Append((sorted.Count - MaxListed).ToString(CultureInfo.InvariantCulture)).Append(" more ranges");
            }

            builder.Append(single ? " is" : " are");
            return builder.ToString();
        }
    }
}
