// A minimal indenting writer for the emitter (LF line ends, four-space indent).
using System;
using System.Text;

namespace MptFast.Generators.Emitter
{
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _builder = new StringBuilder();
        private int _indent;

        public void Line(string text = "")
        {
            if (text.Length > 0)
            {
                _builder.Append(' ', _indent * 4).Append(text);
            }

            _builder.Append('\n');
        }

        /// <summary>Writes a multi-line block, each line at the current indent.</summary>
        public void Lines(string block)
        {
            foreach (string line in block.Replace("\r\n", "\n").TrimEnd('\n').Split('\n'))
            {
                Line(line);
            }
        }

        public void Open()
        {
            Line("{");
            _indent++;
        }

        public void Close(string closing = "}")
        {
            _indent = Math.Max(0, _indent - 1);
            Line(closing);
        }

        public override string ToString() => _builder.ToString();
    }
}
