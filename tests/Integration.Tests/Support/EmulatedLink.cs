using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// One LinkEmu process bridging path <see cref="Path"/> of a testbed inside its emulator namespace (a&lt;i&gt; ⇄ b&lt;i&gt;),
/// with its control socket: change the link now (<see cref="Set"/>), add timed changes (<see cref="At"/>), restart the
/// schedule (<see cref="RestartSchedule"/>), read the counters (<see cref="Stats"/>). Dispose stops it by PID
/// (SIGTERM, then SIGKILL).
/// </summary>
internal sealed class EmulatedLink : IDisposable
{
    private readonly BackgroundProcess _process;

    private EmulatedLink(string ns, int path, LinkSpec spec, string controlPath)
    {
        Path = path;
        Spec = spec;
        ControlPath = controlPath;
        var args = new List<string> { Dll, "--a", $"a{path}", "--b", $"b{path}", "--both", spec.Words(), "--control", controlPath };
        foreach (string line in spec.Schedule)
        {
            args.AddRange(["--at", line]);
        }

        _process = BackgroundProcess.Start(ns, "dotnet", [.. args]);
    }

    /// <summary>The emulator binary (built with the solution; the test project builds it first).</summary>
    public static string Dll => TestEnvironment.PerfToolDll("LinkEmu");

    public int Path { get; }

    public LinkSpec Spec { get; }

    public string ControlPath { get; }

    /// <summary>CLOCK_MONOTONIC (ns) of the schedule's zero: the ready line's, or the last <see cref="RestartSchedule"/>'s.</summary>
    public long ZeroNs { get; private set; }

    /// <summary>What the emulator has logged (stderr).</summary>
    public string Log => _process.Stderr;

    /// <summary>Starts the emulator and waits for its ready line.</summary>
    public static EmulatedLink Start(string ns, int path, LinkSpec spec, string controlPath)
    {
        var link = new EmulatedLink(ns, path, spec, controlPath);
        try
        {
            link._process.WaitForStderr("linkemu: ready", TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException e)
        {
            link.Dispose();
            throw new InvalidOperationException($"LinkEmu on path {path} did not get ready: {e.Message}", e);
        }

        string ready = link.Log;
        int at = ready.IndexOf("zero=", StringComparison.Ordinal) + 5;
        link.ZeroNs = long.Parse(ready[at..ready.IndexOf(' ', at)], CultureInfo.InvariantCulture);
        return link;
    }

    /// <summary>One control command; returns the answer (throws on "error: …").</summary>
    public string Command(string line)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = 5000;
        socket.Connect(new UnixDomainSocketEndPoint(ControlPath));
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream);
        stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
        string answer = reader.ReadLine() ?? "";
        return answer.StartsWith("error", StringComparison.Ordinal) || answer.Length == 0
            ? throw new InvalidOperationException($"LinkEmu path {Path}: '{line}' -> '{answer}'")
            : answer;
    }

    /// <summary>Changes the link now, e.g. <c>Set("rate 5mbit")</c> or <c>Set("loss 100%", "ab")</c>.</summary>
    public void Set(string words, string direction = "both") => Command($"set {direction} {words}");

    /// <summary>Adds a timed change, e.g. <c>At("10s loss 100% for 5s")</c> (time from the schedule's zero).</summary>
    public void At(string line) => Command("at " + line);

    /// <summary>Back to the start values; scheduled lines count from now. Returns the new zero (CLOCK_MONOTONIC ns).</summary>
    public long RestartSchedule()
    {
        string answer = Command("schedule restart");
        ZeroNs = long.Parse(answer[(answer.IndexOf('=', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
        return ZeroNs;
    }

    /// <summary>The counters: ab / ba objects with received, forwarded, drops.{loss,burst_loss,queue_full,…}, ….</summary>
    public JsonElement Stats()
    {
        using var doc = JsonDocument.Parse(Command("stats"));
        return doc.RootElement.Clone();
    }

    /// <summary>Ends the emulator by PID.</summary>
    public void Dispose() => _process.Dispose();
}
