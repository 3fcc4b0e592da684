using System.Globalization;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Logging;
using MptFast.Engine.Offload;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The TUN interface as the daemon sets it up (MPT-SPEC §9.1–9.2): layer 3, no packet-info header, the vnet header and
/// TCP offloads with <c>offload</c>; then MTU, gso_max_size, addresses and link up through <c>ip</c>.
/// </summary>
internal static class TunnelInterface
{
    /// <summary>Opens and configures the interface of <paramref name="i"/>; throws <see cref="DaemonStartException"/>
    /// when a required step fails (the device is closed again).</summary>
    public static ITunDevice Open(InterfaceConfig i, bool offload, LinkConfigurator link)
    {
        LinuxTunDevice tun = LinuxTunDevice.Open(i.TunName, vnetHeader: offload, enableOffloads: offload);
        try
        {
            Configure(tun, i, link);
            return tun;
        }
        catch
        {
            tun.Dispose();
            throw;
        }
    }

    /// <summary>
    /// gso_max_size for the TUN so a TCP super-packet of MTU-sized segments, each cut and encapsulated (inner packet ≤
    /// MTU plus a GRE header of ≤ 8 bytes), fits one UDP GSO train (<see cref="GsoRunList.MaxTrainBytes"/>): n segments
    /// fit. Linux TCP builds whole-MSS segments out of gso_max_size − 1 − MAX_TCP_HEADER (≥ 320) bytes, and the MSS is
    /// at least MTU − 72 (IPv6 + TCP timestamps), so n · (MTU − 72) + 321 bytes never make more than n segments.
    /// </summary>
    internal static int GsoMaxSize(int mtu)
    {
        int segments = Math.Clamp(GsoRunList.MaxTrainBytes / (mtu + 8), 1, GsoRunList.MaxSegments);
        return Math.Clamp((segments * (mtu - 72)) + 321, mtu, 65536);
    }

    private static void Configure(LinuxTunDevice tun, InterfaceConfig i, LinkConfigurator link)
    {
        Check(link.SetMtu(i.TunName, i.Mtu), "set MTU");
        if (tun.EnabledOffloads != 0)
        {
            // TCP super-packets no bigger than one UDP GSO train once cut and encapsulated: one send per super-packet.
            int gsoMax = GsoMaxSize(i.Mtu);
            LinkCommandResult r = link.Run("link", "set", "dev", i.TunName, "gso_max_size", gsoMax.ToString(CultureInfo.InvariantCulture));
            if (!r.Succeeded)
            {
                Log.Warn($"tunnel {i.TunName}: could not set gso_max_size {gsoMax} (super-packets may need two sends): {r.StandardError.Trim()}");
            }
        }

        if (i.Ipv4Address is { } v4)
        {
            Check(link.AddAddress(i.TunName, v4), "add address " + v4);
        }

        if (i.Ipv6Address is { } v6)
        {
            Check(link.Run("-6", "addr", "replace", v6.ToString(), "dev", i.TunName, "nodad"), "add address " + v6);
        }

        Check(link.SetUp(i.TunName), "set link up");
        Log.Info($"tunnel {i.TunName}: mtu {i.Mtu}, {i.Ipv4Address?.ToString() ?? "no IPv4"}, {i.Ipv6Address?.ToString() ?? "no IPv6"}");
    }

    private static void Check(LinkCommandResult r, string what)
    {
        if (!r.Succeeded)
        {
            throw new DaemonStartException($"tunnel interface: {what} failed: {r.StandardError}");
        }
    }
}

/// <summary>The daemon could not be set up; the message says why.</summary>
public sealed class DaemonStartException(string message) : Exception(message);
