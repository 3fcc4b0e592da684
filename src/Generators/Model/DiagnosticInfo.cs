// Diagnostics as data (STYLE.md "Source generators"): plain positions instead of a Roslyn Location,
// so the parse result stays value-equal and cacheable; the Location is made only when reporting.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace MptFast.Generators.Model
{
    /// <summary>A diagnostic found in a config file. Line and Column are 1-based; Start/Length index the file text.</summary>
    internal sealed record DiagnosticInfo(string Id, string FilePath, int Line, int Column, int Start, int Length, string Message)
    {
        public Location ToLocation()
        {
            var start = new LinePosition(Line - 1, Column - 1);
            var end = new LinePosition(Line - 1, Column - 1 + Length);
            return Location.Create(FilePath, new TextSpan(Start, Length), new LinePositionSpan(start, end));
        }
    }

    /// <summary>The parse result of one config file: the spec (null for files that are not connection files) and its diagnostics.</summary>
    internal sealed record ConfigFileModel(ConnectionPortMapSpec? Spec, ImmutableEquatableArray<DiagnosticInfo> Diagnostics);
}
