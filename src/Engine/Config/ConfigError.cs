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
