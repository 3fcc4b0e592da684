using System.Globalization;

namespace MptFast.Engine.Config;

/// <summary>
/// A config problem that makes the file unusable. <see cref="ToString"/> is <c>file:line: key: message</c>;
/// <see cref="Key"/> may be a section such as <c>[path_3]</c>, and <see cref="Line"/> is 0 when the problem has
/// no line (missing or unreadable file).
/// </summary>
public readonly record struct ConfigError(string File, int Line, string Key, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => ConfigDiagnostics.Format(File, Line, Key, Message);
}

/// <summary>A config oddity that is accepted (as the original would) but worth telling the operator. Same shape as <see cref="ConfigError"/>.</summary>
public readonly record struct ConfigWarning(string File, int Line, string Key, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => ConfigDiagnostics.Format(File, Line, Key, Message);
}

/// <summary>Thrown by <see cref="ConfigLoader.LoadOrThrow"/>; the message lists every error, one per line.</summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception from the collected errors.</summary>
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(Join(errors)) => Errors = errors;

    /// <summary>Every error found, in file order.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    private static string Join(IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var parts = new string[errors.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = errors[i].ToString();
        }

        return string.Join('\n', parts);
    }
}

/// <summary>Collects the errors and warnings of one file while it is parsed.</summary>
internal sealed class ConfigDiagnostics(string file)
{
    public string File { get; } = file;

    public List<ConfigError> Errors { get; } = [];

    public List<ConfigWarning> Warnings { get; } = [];

    public static string Format(string file, int line, string key, string message) =>
        file + ":" + line.ToString(CultureInfo.InvariantCulture) + ": " + key + ": " + message;

    public void Error(int line, string key, string message) => Errors.Add(new ConfigError(File, line, key, message));

    public void Warn(int line, string key, string message) => Warnings.Add(new ConfigWarning(File, line, key, message));

    /// <summary>Text of a position inside the message of another diagnostic, e.g. <c>tunnel.conf:30</c>.</summary>
    public string At(int line) => File + ":" + line.ToString(CultureInfo.InvariantCulture);

    /// <summary>Errors sorted by line (stable), as a reader expects them.</summary>
    public IReadOnlyList<ConfigError> SortedErrors() => [.. Errors.OrderBy(e => e.Line)];

    public IReadOnlyList<ConfigWarning> SortedWarnings() => [.. Warnings.OrderBy(w => w.Line)];
}
