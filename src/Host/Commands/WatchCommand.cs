using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MptFast.Engine.Control.Cli;
using MptFast.Engine.Status;

namespace MptFast.Host.Commands;

/// <summary>
/// <c>mptfast status --watch</c> / <c>mptfast top</c>: asks the daemon for <c>show status json</c> the way every
/// command asks (<see cref="CliCommand.Exchange"/>) once per interval and draws <see cref="LiveView"/>. On a terminal
/// it uses the alternate screen, redraws in place, highlights paths that are not up and quits on q or Ctrl-C; with
/// standard output redirected it prints one screen after the other (for logs and scripts, <c>--count N</c>). The exit
/// status is that of the last screen: 0 when it showed the daemon's state, else as the other commands (7: no answer).
/// </summary>
internal static class WatchCommand
{
    /// <summary>How to watch: every <see cref="IntervalSeconds"/>, <see cref="Count"/> screens (null: until q).</summary>
    public sealed record Options(int IntervalSeconds = 1, int? Count = null);

    // ECMA-48: alternate screen, cursor home, erase to end of line/screen, reverse video, cursor visibility.
    private const string Enter = "\e[?1049h\e[?25l", Leave = "\e[?25h\e[?1049l", Home = "\e[H", EraseLine = "\e[K", EraseBelow = "\e[J",
        Reverse = "\e[7m", Normal = "\e[0m";

    public static int Run(CliCommand.Target target, Options options)
    {
        bool terminal = !Console.IsOutputRedirected;
        bool keys = terminal && !Console.IsInputRedirected;
        using var quit = new ManualResetEventSlim();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            quit.Set();
        };
        Console.CancelKeyPress += onCancel;
        if (terminal)
        {
            Console.Out.Write(Enter);
        }

        try
        {
            StatusSample? previous = null;
            long previousTicks = 0;
            int exitCode = Program.ExitOk;
            for (int screen = 0; options.Count is not { } n || screen < n; screen++)
            {
                long started = Stopwatch.GetTimestamp();
                CliCommand.Reply reply = CliCommand.Exchange(target, new ShowStatusCommand(StatusFormat.Json).ToCommandLine(), raw: true);
                IReadOnlyList<LiveView.Line> lines;
                if (reply.ExitCode == Program.ExitOk && TryParse(reply.Output, out StatusSample? sample))
                {
                    lines = LiveView.Render(previous, sample, Stopwatch.GetElapsedTime(previousTicks, started), DateTime.Now);
                    (previous, previousTicks) = (sample, started);
                    exitCode = Program.ExitOk;
                }
                else
                {
                    // Keep watching: the daemon may be restarting; the last screen's rates would be stale, so forget it.
                    lines = [new(reply.Error.Length > 0 ? reply.Error.Trim() : "mptfast: the daemon's answer was not a status"), new("(q quits)")];
                    previous = null;
                    exitCode = reply.ExitCode == Program.ExitOk ? CliCommand.ExitNoAnswer : reply.ExitCode;
                }

                Draw(lines, terminal);
                if (Wait(quit, keys, started, options.IntervalSeconds))
                {
                    break;
                }
            }

            return exitCode; // of the last screen: 0 when it showed the daemon's state
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            if (terminal)
            {
                Console.Out.Write(Leave);
                Console.Out.Flush();
            }
        }
    }

    private static bool TryParse(string json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StatusSample? sample)
    {
        try
        {
            sample = StatusSample.Parse(json);
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            sample = null;
            return false;
        }
    }

    private static void Draw(IReadOnlyList<LiveView.Line> lines, bool terminal)
    {
        var sb = new StringBuilder(terminal ? Home : "");
        foreach (LiveView.Line line in lines)
        {
            sb.Append(terminal && line.Alert ? Reverse + line.Text + Normal : line.Text);
            sb.Append(terminal ? EraseLine + "\n" : "\n");
        }

        sb.Append(terminal ? EraseBelow : "\n");
        Console.Out.Write(sb.ToString());
        Console.Out.Flush();
    }

    // Until the next screen is due; true when q or Ctrl-C asked to quit.
    private static bool Wait(ManualResetEventSlim quit, bool keys, long started, int intervalSeconds)
    {
        TimeSpan interval = TimeSpan.FromSeconds(intervalSeconds);
        while (Stopwatch.GetElapsedTime(started) < interval)
        {
            if (quit.Wait(50))
            {
                return true;
            }

            while (keys && Console.KeyAvailable)
            {
                if (Console.ReadKey(intercept: true).KeyChar is 'q' or 'Q')
                {
                    return true;
                }
            }
        }

        return quit.IsSet;
    }
}
