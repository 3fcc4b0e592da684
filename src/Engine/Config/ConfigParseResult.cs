namespace MptFast.Engine.Config;

/// <summary>Outcome of parsing one file: the value only when there is no error; warnings either way.</summary>
public sealed class ConfigParseResult<T>
    where T : class
{
    internal ConfigParseResult(T? value, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigWarning> warnings)
    {
        Value = errors.Count == 0 ? value : null;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>The parsed model; null when <see cref="Errors"/> is not empty.</summary>
    public T? Value { get; }

    public IReadOnlyList<ConfigError> Errors { get; }

    public IReadOnlyList<ConfigWarning> Warnings { get; }

    public bool Succeeded => Errors.Count == 0;

    /// <summary>The value, or a <see cref="ConfigException"/> listing every error.</summary>
    public T GetValueOrThrow() => Value ?? throw new ConfigException(Errors);
}

/// <summary>Outcome of loading a whole config directory.</summary>
public sealed class ConfigLoadResult
{
    internal ConfigLoadResult(MptConfig? config, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigWarning> warnings)
    {
        Config = errors.Count == 0 ? config : null;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>The configuration; null when any file had an error (reload keeps the running one, B76).</summary>
    public MptConfig? Config { get; }

    public IReadOnlyList<ConfigError> Errors { get; }

    public IReadOnlyList<ConfigWarning> Warnings { get; }

    public bool Succeeded => Errors.Count == 0;
}
