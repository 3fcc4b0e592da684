using System.Diagnostics;
using System.Text;

namespace MptFast.Integration.Tests.Support;

/// <summary>A command running in a namespace while the test goes on; killed by PID on Dispose if still running.</summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private BackgroundProcess(Process process) => _process = process;

    public static BackgroundProcess Start(string ns, string file, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["netns", "exec", ns, file, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        var b = new BackgroundProcess(Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file));
        b._process.OutputDataReceived += (_, e) => Append(b._stdout, e.Data);
        b._process.ErrorDataReceived += (_, e) => Append(b._stderr, e.Data);
        b._process.BeginOutputReadLine();
        b._process.BeginErrorReadLine();
        return b;
    }

    /// <summary>What the command has written to stderr so far.</summary>
    public string Stderr => Text(_stderr);

    public bool HasExited => _process.HasExited;

    public void WaitForStderr(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!Text(_stderr).Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || sw.Elapsed > timeout)
            {
                throw new InvalidOperationException($"no '{text}' (exited: {_process.HasExited}): {Text(_stdout)}{Text(_stderr)}");
            }

            Thread.Sleep(20);
        }
    }

    public (int Code, string Stdout, string Stderr) WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"still running after {timeout.TotalSeconds:0} s: {Text(_stdout)}{Text(_stderr)}");
        }

        _process.WaitForExit();   // drains the asynchronous readers
        return (_process.ExitCode, Text(_stdout), Text(_stderr));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is not null)
        {
            lock (sb)
            {
                sb.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
