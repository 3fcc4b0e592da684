using System.Diagnostics;
using System.Text;

namespace MptFast.Integration.Tests.Support;

/// <summary>Result of a finished command.</summary>
internal sealed record ProcResult(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;
}

/// <summary>Runs commands with a hard timeout (every load here is bounded in time) and captures their output.</summary>
internal static class Proc
{
    public static ProcResult Run(TimeSpan timeout, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        p.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            p.WaitForExit();
            throw new TimeoutException($"'{file} {string.Join(' ', args)}' did not finish within {timeout.TotalSeconds:0} s; output: {stdout}{stderr}");
        }

        p.WaitForExit();
        return new ProcResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static ProcResult Run(string file, params string[] args) => Run(TimeSpan.FromSeconds(60), file, args);

    /// <summary>Runs and asserts a zero exit code, returning stdout.</summary>
    public static string Check(TimeSpan timeout, string file, params string[] args)
    {
        ProcResult r = Run(timeout, file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' exited {r.ExitCode}: {r.Stdout}{r.Stderr}");
        }

        return r.Stdout;
    }

    public static string Check(string file, params string[] args) => Check(TimeSpan.FromSeconds(60), file, args);

    /// <summary>Python with scapy: Debian's interpreter (python3-scapy is installed for it).</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}
