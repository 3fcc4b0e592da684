using System.Globalization;

namespace MptFast.Host.Commands;

/// <summary>A small, strict argument reader: unknown options are errors (B90: the original took any "-x" for a port).</summary>
internal sealed class ArgReader
{
    private readonly string[] _args;
    private int _next;

    public ArgReader(string[] args, int start = 0)
    {
        _args = args;
        _next = start;
    }

    public bool AtEnd => _next >= _args.Length;

    public string? Peek => AtEnd ? null : _args[_next];

    public string Take() => _args[_next++];

    public string[] Rest()
    {
        string[] rest = _args[_next..];
        _next = _args.Length;
        return rest;
    }

    /// <summary>The value after an option such as <c>-c DIR</c>.</summary>
    public string Value(string option)
    {
        if (AtEnd)
        {
            throw new UsageException($"option {option} needs a value");
        }

        return Take();
    }

    public int IntValue(string option, int min, int max)
    {
        string text = Value(option);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new UsageException($"option {option}: '{text}' is not a number in {min}-{max}");
        }

        return value;
    }
}

/// <summary>Bad command line: printed with a pointer to --help, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
