namespace MptFast.Engine.Control.Cli;

/// <summary>Per-command help texts of <c>mpt</c> (MPT-SPEC §9.10), one string each.</summary>
public static class CliHelp
{
    /// <summary>The help text of one command.</summary>
    public static string For(CliCommandKind kind) => kind switch
    {
        CliCommandKind.ShowStatus => "show status [json|metrics]\n    Print the tunnel, connection and path information (json: machine-readable;\n    metrics: Prometheus text format).",
        CliCommandKind.Path => "path up|down LOCAL_IP REMOTE_IP\n    Set the path with this public (LOCAL_IP) and remote (REMOTE_IP) address up or down\n    and tell the peer. IPv4 or IPv6.",
        CliCommandKind.Interface => "int|interface IFNAME up|down\n    Bring the interface up or down and set every path on it up or down (peer notified).",
        CliCommandKind.Address => "addr|address add|del IP[/LEN] dev IFNAME\n    Add or delete an address on an interface. LEN defaults to 24 for IPv4, 64 for IPv6.",
        CliCommandKind.Reload => "reload [FILE]\n    Re-read FILE (or the template and every connection file) and restart the connection(s).",
        CliCommandKind.Restart => "restart [FILE]\n    Restart the connection loaded from FILE (or all) from memory; every path becomes OK.",
        CliCommandKind.Delete => "delete FILE\n    Stop the connection loaded from FILE and rename the file to FILE.disabled.",
        CliCommandKind.Save => "save [FILE]\n    Write the connection loaded from FILE (or all) back to its file.",
        CliCommandKind.Create => "create FILE\n    Ask the peer to create the mirror of the connection loaded from FILE, then merge its answer.",
        _ => "",
    };

    /// <summary>Help for every command, in the order of <see cref="CliCommandKind"/>.</summary>
    public static string All
    {
        get
        {
            var parts = new List<string>();
            foreach (CliCommandKind kind in Enum.GetValues<CliCommandKind>())
            {
                parts.Add(For(kind));
            }

            return string.Join("\n\n", parts);
        }
    }
}
