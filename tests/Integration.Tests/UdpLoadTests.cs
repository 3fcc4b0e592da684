using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// perf/tools/UdpLoad, the harness's packet-rate load: a paced send of a known number of datagrams from
/// namespace a must be counted by the receiver in namespace b (IPv4 and IPv6), and the receiver must stop on
/// its own after a second of silence. Paced at 20 kpkt/s over an idle veth, nothing should be lost; the
/// assertion allows 10 datagrams of slack for a machine shared with other work.
/// </summary>
public class UdpLoadTests
{
    private const int Count = 2000;
    private const int Size = 64;

    private static string Dll => TestEnvironment.PerfToolDll("UdpLoad");

    [Theory]
    [InlineData("198.18.1.2:47100", "0")]     // blocking receiver
    [InlineData("[fd00:1::2]:47106", "1")]    // polling receiver, as the harness runs it
    public void Paced_send_of_2000_datagrams_is_counted_by_the_receiver_which_stops_after_silence(string endpoint, string pollMs)
    {
        Assert.True(File.Exists(Dll), $"UdpLoad not built at {Dll} (dotnet build MptFast.sln)");
        using var tb = new Testbed(paths: 1, v6: true);
        using var receiver = BackgroundProcess.Start(tb.B, "dotnet", Dll, "recv", "--bind", endpoint, "--seconds", "20", "--poll-ms", pollMs);
        receiver.WaitForStderr("udpload: receiving on", TimeSpan.FromSeconds(15));

        ProcResult send = tb.Exec('a', TimeSpan.FromSeconds(30), "dotnet", Dll, "send", "--to", endpoint,
            "--size", $"{Size}", "--seconds", "5", "--rate", "20000", "--count", $"{Count}");
        Assert.True(send.ExitCode == 0, $"send exited {send.ExitCode}: {send.All}");
        // The receiver's own --seconds is 20: it only ends within this wait if it stopped on the 1 s of silence.
        (int code, string stdout, string stderr) = receiver.WaitForExit(TimeSpan.FromSeconds(10));
        Assert.True(code == 0, $"recv exited {code}: {stdout}{stderr}");

        using JsonDocument sent = JsonDocument.Parse(send.Stdout);
        using JsonDocument got = JsonDocument.Parse(stdout);
        Assert.Equal("count", sent.RootElement.GetProperty("stopped").GetString());
        Assert.Equal(Count, sent.RootElement.GetProperty("datagrams").GetInt64());
        Assert.Equal(Count * Size, sent.RootElement.GetProperty("bytes").GetInt64());
        Assert.Equal("silence", got.RootElement.GetProperty("stopped").GetString());
        long received = got.RootElement.GetProperty("datagrams").GetInt64();
        Assert.InRange(received, Count - 10, Count);
        Assert.Equal(received * Size, got.RootElement.GetProperty("bytes").GetInt64());
        Assert.Equal(0, got.RootElement.GetProperty("truncated").GetInt64());
    }

    [Fact]
    public void Help_exits_0_and_bad_arguments_exit_2_with_the_reason()
    {
        Assert.True(File.Exists(Dll), $"UdpLoad not built at {Dll} (dotnet build MptFast.sln)");
        ProcResult help = Proc.Run(TimeSpan.FromSeconds(30), "dotnet", Dll, "--help");
        Assert.True(help.ExitCode == 0, help.All);
        Assert.Contains("send --to ADDR:PORT --size BYTES --seconds S", help.Stdout, StringComparison.Ordinal);

        foreach ((string[] args, string reason) in new (string[], string)[]
                 {
                     (["send", "--to", "198.18.1.2", "--size", "64", "--seconds", "1"], "--to '198.18.1.2'"),
                     (["send", "--to", "198.18.1.2:9", "--size", "0", "--seconds", "1"], "--size '0'"),
                     (["send", "--to", "198.18.1.2:9", "--size", "64", "--seconds", "1", "--batch", "2000"], "--batch '2000'"),
                     (["recv", "--bind", "198.18.1.2:9"], "missing --seconds"),
                     (["blast"], "unknown mode 'blast'"),
                 })
        {
            ProcResult r = Proc.Run(TimeSpan.FromSeconds(30), "dotnet", [Dll, .. args]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: expected exit 2, got {r.ExitCode}: {r.All}");
            Assert.Contains(reason, r.Stderr, StringComparison.Ordinal);
            Assert.Equal("", r.Stdout);
        }
    }
}
