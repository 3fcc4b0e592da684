using System.Diagnostics;
using System.Text.Json;

namespace MptFast.Perf.UdpLoad;

/// <summary>What one run counted; written as one JSON object on stdout (the harness parses it).</summary>
internal sealed class LoadResult
{
    public long Datagrams { get; set; }
    public long Bytes { get; set; }
    public double ElapsedSeconds { get; set; }
    public long Calls { get; set; }
    public long Truncated { get; set; }
    public string Stopped { get; set; } = "";

    /// <summary>Failed calls the run went on after, by errno name (EAGAIN, ECONNREFUSED, ENOBUFS…).</summary>
    public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

    public void CountError(int errno)
    {
        string name = errno switch
        {
            Native.EAGAIN => "EAGAIN",
            Native.ENOBUFS => "ENOBUFS",
            Native.ECONNREFUSED => "ECONNREFUSED",
            Native.EINTR => "EINTR",
            _ => "errno" + errno,
        };
        Errors[name] = Errors.GetValueOrDefault(name) + 1;
    }

    public void Write(Options o, Stream output)
    {
        double pps = ElapsedSeconds > 0 ? Datagrams / ElapsedSeconds : 0;
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("mode", o.Send ? "send" : "recv");
        json.WriteString(o.Send ? "to" : "bind", o.Endpoint.ToString());
        if (o.Send)
        {
            json.WriteNumber("size", o.Size);
            json.WriteNumber("rate", o.Rate);
        }

        json.WriteNumber("batch", o.Batch);
        json.WriteNumber("datagrams", Datagrams);
        json.WriteNumber("bytes", Bytes);
        json.WriteNumber("elapsed_s", Math.Round(ElapsedSeconds, 6));
        json.WriteNumber("pps", Math.Round(pps, 1));
        json.WriteNumber("gbps", ElapsedSeconds > 0 ? Math.Round(Bytes * 8 / ElapsedSeconds / 1e9, 6) : 0);
        json.WriteNumber("calls", Calls);
        json.WriteNumber("avg_batch", Calls > 0 ? Math.Round((double)Datagrams / Calls, 2) : 0);
        if (!o.Send)
        {
            json.WriteNumber("poll_ms", o.PollMs);
            json.WriteNumber("truncated", Truncated);
        }

        json.WriteStartObject("errors");
        foreach ((string name, long n) in Errors.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(name, n);
        }

        json.WriteEndObject();
        json.WriteString("stopped", Stopped);
        json.WriteNumber("cpu_s", Math.Round(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, 3));
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }
}
