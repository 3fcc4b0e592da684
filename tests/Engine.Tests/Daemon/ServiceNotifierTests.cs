using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Daemon;

namespace MptFast.Engine.Tests.Daemon;

/// <summary>The sd_notify protocol as written here (issue 16): datagrams to a path or an abstract address, the
/// environment systemd passes, and the watchdog's stuck-thread rule.</summary>
public sealed class ServiceNotifierTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Notifications_arrive_as_one_datagram_each_at_a_path_or_an_abstract_address(bool @abstract)
    {
        string dir = Directory.CreateTempSubdirectory("mptfast-notify-").FullName;
        try
        {
            string address = @abstract ? "@mptfast-test-" + Guid.NewGuid().ToString("N") : Path.Combine(dir, "notify");
            using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            receiver.Bind(ServiceNotifier.EndPointOf(address));
            Assert.Equal(@abstract, !File.Exists(Path.Combine(dir, "notify"))); // an abstract socket leaves no file

            using var notifier = new ServiceNotifier(address);
            long before = ServiceNotifier.MonotonicMicroseconds(Stopwatch.GetTimestamp());
            notifier.Ready("tunnel.conf: 2/2 paths up");
            notifier.Reloading();
            long after = ServiceNotifier.MonotonicMicroseconds(Stopwatch.GetTimestamp());
            notifier.Watchdog();
            notifier.Stopping();

            Assert.Equal("READY=1\nSTATUS=tunnel.conf: 2/2 paths up", Receive(receiver));
            string reloading = Receive(receiver);
            Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", reloading, StringComparison.Ordinal);
            Assert.InRange(long.Parse(reloading.Split('=')[^1], System.Globalization.CultureInfo.InvariantCulture), before, after);
            Assert.Equal("WATCHDOG=1", Receive(receiver));
            Assert.Equal("STOPPING=1", Receive(receiver));
            Assert.Equal(0, notifier.Lost);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_socket_nobody_listens_on_loses_the_notification_without_throwing()
    {
        using var notifier = new ServiceNotifier("@mptfast-nobody-" + Guid.NewGuid().ToString("N"));
        Assert.False(notifier.Notify("READY=1"));
        Assert.False(notifier.Notify("WATCHDOG=1"));
        Assert.Equal(2, notifier.Lost);
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("")]
    public void A_notify_socket_that_is_neither_a_path_nor_abstract_is_refused(string value) =>
        Assert.ThrowsAny<ArgumentException>(() => new ServiceNotifier(value));

    [Theory]
    [InlineData(null, "2000000", null, null, null)] // no NOTIFY_SOCKET: not under a service manager
    [InlineData("/run/systemd/notify", null, null, "/run/systemd/notify", null)]
    [InlineData("@abstract", "2000000", null, "@abstract", 2.0)]
    [InlineData("/n", "15000000", "4242", "/n", 15.0)] // WATCHDOG_PID is ours
    [InlineData("/n", "15000000", "4243", "/n", null)] // meant for another process
    [InlineData("/n", "0", null, "/n", null)]
    [InlineData("/n", "-5", null, "/n", null)]
    [InlineData("/n", "15s", null, "/n", null)]
    public void Environment_gives_the_socket_and_a_watchdog_only_for_this_process(string? socket, string? usec, string? pid, string? expectedSocket, double? expectedSeconds)
    {
        var variables = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = socket, ["WATCHDOG_USEC"] = usec, ["WATCHDOG_PID"] = pid };
        ServiceEnvironment e = ServiceEnvironment.Read(name => variables.GetValueOrDefault(name), 4242);
        Assert.Equal(expectedSocket, e.NotifySocket);
        Assert.Equal(expectedSeconds, e.Watchdog?.TotalSeconds);
    }

    [Fact]
    public void Watchdog_names_the_thread_whose_loop_stood_still_for_the_stall_time_and_forgives_it_once_it_turns()
    {
        var w = new DatapathWatchdog(TimeSpan.FromSeconds(5), ticksPerSecond: 1000);
        Assert.Null(w.Check([("tx", 10), ("rx", 20)], now: 0));
        Assert.Null(w.Check([("tx", 11), ("rx", 20)], now: 4999)); // rx still for 4.999 s
        Assert.Equal("rx", w.Check([("tx", 12), ("rx", 20)], now: 5000));
        Assert.Equal("rx", w.Check([("tx", 13), ("rx", 20)], now: 9000));
        Assert.Null(w.Check([("tx", 14), ("rx", 21)], now: 9500));
        Assert.Equal("tx", w.Check([("tx", 14), ("rx", 22)], now: 14500));

        // Pumps rebuilt by a reload count from zero again: a change, so a turn.
        Assert.Null(w.Check([("tx", 0), ("rx", 0)], now: 14600));
    }

    private static string Receive(Socket socket)
    {
        byte[] buffer = new byte[4096];
        socket.ReceiveTimeout = 5000;
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
