using System.Globalization;

namespace MptFast.Engine.Config;

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
