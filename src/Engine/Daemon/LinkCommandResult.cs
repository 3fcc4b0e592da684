namespace MptFast.Engine.Daemon;

/// <summary>Outcome of one <c>ip</c> invocation by <see cref="LinkConfigurator"/>.</summary>
/// <param name="ExitCode">The command's exit status (−1 if it could not start or timed out).</param>
/// <param name="StandardError">What it printed on stderr, trimmed (e.g. "RTNETLINK answers: File exists").</param>
/// <param name="CommandLine">The command as run, for messages.</param>
public readonly record struct LinkCommandResult(int ExitCode, string StandardError, string CommandLine)
{
    /// <summary>The command exited with status 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>The route or address was already there (iproute2's "File exists").</summary>
    public bool AlreadyExists => !Succeeded && StandardError.Contains("File exists", StringComparison.Ordinal);

    /// <summary>Throws <see cref="LinkConfigurationException"/> unless the command succeeded.</summary>
    public void ThrowIfFailed()
    {
        if (!Succeeded)
        {
            throw new LinkConfigurationException(this);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"{CommandLine}: ok" : $"{CommandLine}: exit {ExitCode}: {StandardError}";
}

/// <summary>A link, address or route change failed (MPT-SPEC §9.3 "report failures").</summary>
public sealed class LinkConfigurationException : Exception
{
    public LinkConfigurationException()
    {
    }

    public LinkConfigurationException(string message)
        : base(message)
    {
    }

    public LinkConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Wraps a failed command.</summary>
    public LinkConfigurationException(LinkCommandResult result)
        : base(result.ToString())
    {
        Result = result;
    }

    /// <summary>The failed command.</summary>
    public LinkCommandResult Result { get; }
}
