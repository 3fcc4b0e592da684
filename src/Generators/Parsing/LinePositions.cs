// Turns IniDocument's (line, column) into DiagnosticInfo with a file offset, clamped to the text.
using Microsoft.CodeAnalysis.Text;
using MptFast.Generators.Model;

namespace MptFast.Generators.Parsing
{
    internal sealed class LinePositions
    {
        private readonly string _path;
        private readonly SourceText _text;

        public LinePositions(string path, SourceText text)
        {
            _path = path;
            _text = text;
        }

        /// <summary>A diagnostic at a 1-based line and column, <paramref name="length"/> characters long.</summary>
        public DiagnosticInfo At(string id, int line, int column, int length, string message)
        {
            int start = 0;
            if (line >= 1 && line <= _text.Lines.Count)
            {
                TextLine textLine = _text.Lines[line - 1];
                start = textLine.Start + System.Math.Min(column - 1, textLine.Span.Length);
                length = System.Math.Max(0, System.Math.Min(length, textLine.End - start));
            }
            else
            {
                length = 0;
            }

            return new DiagnosticInfo(id, _path, line, column, start, length, message);
        }

        /// <summary>A diagnostic spanning the line's text from its first non-blank character.</summary>
        public DiagnosticInfo AtLineStart(string id, int line, string message)
        {
            if (line < 1 || line > _text.Lines.Count)
            {
                return At(id, line, 1, 0, message);
            }

            string text = _text.Lines[line - 1].ToString();
            int first = 0;
            while (first < text.Length && char.IsWhiteSpace(text[first]))
            {
                first++;
            }

            return At(id, line, first + 1, text.TrimEnd().Length - first, message);
        }
    }
}
