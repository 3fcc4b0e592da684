using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath.Linux;

namespace MptFast.Engine.Daemon;

/// <summary>
/// Link state, MTU, addresses and routes (MPT-SPEC §9.2, §9.3). Link state, MTU and addresses by running iproute2's
/// <c>ip</c>: setup-time operations, <c>ip</c> is present wherever TUN devices are, and its error texts are what
/// operators know. Routes in the daemon's own namespace over rtnetlink (<see cref="RouteNetlink"/>, same semantics and
/// error texts): they change while it runs, at every remote create and NAT move (issue 15). Each <c>ip</c> call runs it
/// directly with an argument array (no shell, so addresses and names cannot inject anything), captures stderr into a
/// <see cref="LinkCommandResult"/>, and never throws for a failed command (call
/// <see cref="LinkCommandResult.ThrowIfFailed"/>). <see cref="Process"/> with
/// an explicit argument list is NativeAOT-safe.
/// </summary>
/// <remarks>Unlike the original (which ignored script failures and only set the MTU with an IPv4 address), every
/// change here is explicit and reports its result; set the MTU and link state independently of the families.</remarks>
public sealed class LinkConfigurator
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly string _ipPath;

    /// <summary>Configures links in the current network namespace, or in <paramref name="networkNamespace"/>
    /// (<c>ip -n NAME</c>) when given.</summary>
    public LinkConfigurator(string? networkNamespace = null, string ipPath = "ip")
    {
        NetworkNamespace = networkNamespace;
        _ipPath = ipPath;
    }

    /// <summary>The named network namespace every command targets, or null for the caller's.</summary>
    public string? NetworkNamespace { get; }

    /// <summary><c>ip link set dev NAME up</c>.</summary>
    public LinkCommandResult SetUp(string device) => Run("link", "set", "dev", Checked(device), "up");

    /// <summary><c>ip link set dev NAME down</c>.</summary>
    public LinkCommandResult SetDown(string device) => Run("link", "set", "dev", Checked(device), "down");

    /// <summary><c>ip link set dev NAME mtu N</c> (MPT-SPEC §9.2: default tunnel MTU 1440).</summary>
    public LinkCommandResult SetMtu(string device, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, 65535);
        return Run("link", "set", "dev", Checked(device), "mtu", mtu.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary><c>ip addr replace ADDR/LEN dev NAME</c> (idempotent; either family).</summary>
    public LinkCommandResult AddAddress(string device, IpPrefix address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Run(Family(address.Address), "addr", "replace", Prefix(address), "dev", Checked(device));
    }

    /// <summary><c>ip addr del ADDR/LEN dev NAME</c>.</summary>
    public LinkCommandResult DeleteAddress(string device, IpPrefix address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Run(Family(address.Address), "addr", "del", Prefix(address), "dev", Checked(device));
    }

    /// <summary><c>ip route add DEST/LEN [via GW] [dev NAME]</c>; fails with "File exists" if present
    /// (see <see cref="LinkCommandResult.AlreadyExists"/>). A /32 or /128 destination is a host route.</summary>
    public LinkCommandResult AddRoute(IpPrefix destination, IPAddress? via = null, string? device = null) =>
        Route(RouteNetlink.Verb.Add, destination, via, device);

    /// <summary><c>ip route replace …</c>: adds or overwrites the route.</summary>
    public LinkCommandResult ReplaceRoute(IpPrefix destination, IPAddress? via = null, string? device = null) =>
        Route(RouteNetlink.Verb.Replace, destination, via, device);

    /// <summary><c>ip route del DEST/LEN [via GW] [dev NAME]</c>.</summary>
    public LinkCommandResult DeleteRoute(IpPrefix destination, IPAddress? via = null, string? device = null) =>
        Route(RouteNetlink.Verb.Delete, destination, via, device);

    /// <summary>Runs <c>ip</c> with the given arguments (prefixed by <c>-n NAME</c> when a namespace is set).</summary>
    public LinkCommandResult Run(params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(_ipPath)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = false,
            CreateNoWindow = true,
        };
        if (NetworkNamespace is not null)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add(NetworkNamespace);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        string commandLine = _ipPath + " " + string.Join(' ', start.ArgumentList);
        try
        {
            using Process process = Process.Start(start)
                ?? throw new InvalidOperationException("Process.Start returned null");
            // Process.Dispose leaves the redirected pipes to the finalizer: closed here, or every ip call held two
            // descriptors until the next garbage collection (the soak's descriptor count showed it).
            using StreamReader output = process.StandardOutput;
            using StreamReader error = process.StandardError;
            Task<string> stdout = output.ReadToEndAsync(); // drained so ip never blocks on a full pipe
            string stderr = error.ReadToEnd();
            if (!process.WaitForExit(s_timeout))
            {
                process.Kill();
                return new LinkCommandResult(-1, "timed out", commandLine);
            }

            stdout.Wait(s_timeout);
            return new LinkCommandResult(process.ExitCode, stderr.Trim(), commandLine);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new LinkCommandResult(-1, ex.Message, commandLine); // ip not installed
        }
    }

    private LinkCommandResult Route(RouteNetlink.Verb verb, IpPrefix destination, IPAddress? via, string? device)
    {
        ArgumentNullException.ThrowIfNull(destination);
        string ipVerb = verb switch
        {
            RouteNetlink.Verb.Add => "add",
            RouteNetlink.Verb.Replace => "replace",
            _ => "del",
        };
        var args = new List<string>(8) { Family(destination.Address), "route", ipVerb, Prefix(destination) };
        if (via is not null)
        {
            args.Add("via");
            args.Add(via.ToString());
        }

        if (device is not null)
        {
            args.Add("dev");
            args.Add(Checked(device));
        }

        // Routes change while the daemon runs (every remote create, every NAT move): over rtnetlink in this namespace,
        // with ip's semantics and error texts (RouteNetlink); ip itself for another namespace or what netlink refuses.
        if (NetworkNamespace is null
            && RouteNetlink.Change(verb, destination, via, device, "rtnetlink: route " + string.Join(' ', args.Skip(2))) is { } done)
        {
            return done;
        }

        return Run([.. args]);
    }

    private static string Family(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6 ? "-6" : "-4";

    private static string Prefix(IpPrefix prefix)
    {
        IPAddress address = prefix.Address;
        int length = prefix.Length;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
            length = Math.Max(0, length - 96);
        }

        var text = new StringBuilder(address.ToString());
        return text.Append('/').Append(length.ToString(CultureInfo.InvariantCulture)).ToString();
    }

    private static string Checked(string device)
    {
        if (!LinuxTunDevice.IsValidInterfaceName(device) || device.StartsWith('-'))
        {
            throw new ArgumentException($"invalid interface name '{device}'", nameof(device));
        }

        return device;
    }
}
