using System.Globalization;
using System.Net;
using MptFast.Engine.Config;

namespace MptFast.Engine.Control.Cli;

/// <summary>The <c>mpt</c> commands (MPT-SPEC §9.10, F93–F101).</summary>
public enum CliCommandKind : byte
{
    /// <summary><c>show status [json|metrics]</c>.</summary>
    ShowStatus,

    /// <summary><c>path up|down LOCAL REMOTE</c>.</summary>
    Path,

    /// <summary><c>int|interface IF up|down</c>.</summary>
    Interface,

    /// <summary><c>addr|address add|del IP[/LEN] dev IF</c>.</summary>
    Address,

    /// <summary><c>reload [FILE]</c>.</summary>
    Reload,

    /// <summary><c>restart [FILE]</c>.</summary>
    Restart,

    /// <summary><c>delete FILE</c>.</summary>
    Delete,

    /// <summary><c>save [FILE]</c>.</summary>
    Save,

    /// <summary><c>create FILE</c>.</summary>
    Create,
}

/// <summary>A parsed, valid <c>mpt</c> command line. <see cref="ToCommandLine"/> gives the canonical text that parses back to an equal command.</summary>
public abstract record CliCommand
{
    /// <summary>Which command.</summary>
    public abstract CliCommandKind Kind { get; }

    /// <summary>The canonical command line (single spaces, short keywords).</summary>
    public abstract string ToCommandLine();
}

/// <summary>How <c>show status</c> answers: the original's report, or MptFast's JSON or Prometheus metrics.</summary>
public enum StatusFormat : byte
{
    /// <summary><c>show status</c>: the original's report (MPT-SPEC §9.11).</summary>
    Text,

    /// <summary><c>show status json</c>: one JSON object.</summary>
    Json,

    /// <summary><c>show status metrics</c>: the Prometheus text format (what <c>/metrics</c> serves).</summary>
    Metrics,
}

/// <summary><c>show status</c>, or the MptFast extensions <c>show status json</c> and <c>show status metrics</c>.</summary>
public sealed record ShowStatusCommand(StatusFormat Format) : CliCommand
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.ShowStatus;

    /// <summary>The reply is data for a program (JSON, metrics), printed without the <c>CMD_OK:</c> prefix.</summary>
    public bool IsData => Format != StatusFormat.Text;

    /// <inheritdoc/>
    public override string ToCommandLine() => Format switch
    {
        StatusFormat.Json => "show status json",
        StatusFormat.Metrics => "show status metrics",
        _ => "show status",
    };
}

/// <summary><c>path up|down LOCAL REMOTE</c>: LOCAL is the path's public address, REMOTE its remote address.</summary>
public sealed record PathCommand(bool Up, IPAddress Local, IPAddress Remote) : CliCommand
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Path;

    /// <inheritdoc/>
    public override string ToCommandLine() => "path " + (Up ? "up " : "down ") + Local + " " + Remote;
}

/// <summary><c>int IF up|down</c>.</summary>
public sealed record InterfaceCommand(string Name, bool Up) : CliCommand
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Interface;

    /// <inheritdoc/>
    public override string ToCommandLine() => "int " + Name + (Up ? " up" : " down");
}

/// <summary><c>addr add|del IP/LEN dev IF</c>; LEN defaults to 24 (IPv4) or 64 (IPv6) — B62.</summary>
public sealed record AddressCommand(bool Add, IpPrefix Prefix, string Device) : CliCommand
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Address;

    /// <inheritdoc/>
    public override string ToCommandLine() =>
        "addr " + (Add ? "add " : "del ") + Prefix.Address + "/" + Prefix.Length.ToString(CultureInfo.InvariantCulture) + " dev " + Device;
}

/// <summary>A command that names one connection file or, where optional and absent (null), all connections.</summary>
public abstract record FileCommand(string? File) : CliCommand
{
    /// <inheritdoc/>
    public override string ToCommandLine() => Keyword + (File is null ? "" : " " + File);

    /// <summary>The command word.</summary>
    protected abstract string Keyword { get; }
}

/// <summary><c>reload [FILE]</c>.</summary>
public sealed record ReloadCommand(string? File) : FileCommand(File)
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Reload;

    /// <inheritdoc/>
    protected override string Keyword => "reload";
}

/// <summary><c>restart [FILE]</c>.</summary>
public sealed record RestartCommand(string? File) : FileCommand(File)
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Restart;

    /// <inheritdoc/>
    protected override string Keyword => "restart";
}

/// <summary><c>delete FILE</c>.</summary>
public sealed record DeleteCommand(string File) : FileCommand(File)
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Delete;

    /// <inheritdoc/>
    protected override string Keyword => "delete";
}

/// <summary><c>save [FILE]</c>.</summary>
public sealed record SaveCommand(string? File) : FileCommand(File)
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Save;

    /// <inheritdoc/>
    protected override string Keyword => "save";
}

/// <summary><c>create FILE</c>.</summary>
public sealed record CreateCommand(string File) : FileCommand(File)
{
    /// <inheritdoc/>
    public override CliCommandKind Kind => CliCommandKind.Create;

    /// <inheritdoc/>
    protected override string Keyword => "create";
}
