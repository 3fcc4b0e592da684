namespace MptFast.Engine.Config;

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
