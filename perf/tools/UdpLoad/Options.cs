using System.Globalization;
using System.Net;

namespace MptFast.Perf.UdpLoad;

/// <summary>A command line the tool cannot run: the message says what is wrong (exit status 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>What one run does. Send: <see cref="Endpoint"/> is the destination; receive: the address bound.</summary>
internal sealed record Options(bool Send, IPEndPoint Endpoint, int Size, double Seconds, int Batch, double Rate, long Count,
    double Silence, int PollMs)
{
    public const int MaxBatch = 1024;        // UIO_MAXIOV: the kernel's limit for one sendmmsg/recvmmsg
    public const int MaxSize = 65507;        // largest UDP payload over IPv4
    public const double MaxSeconds = 3600;   // every load is bounded in time

    public const string Usage = """
        UdpLoad — UDP packet-rate load with sendmmsg/recvmmsg (MptFast perf harness, perf/README.md)

        usage:
          UdpLoad send --to ADDR:PORT --size BYTES --seconds S [--batch N] [--rate PPS] [--count N]
          UdpLoad recv --bind ADDR:PORT --seconds S [--batch N] [--silence S] [--poll-ms MS]
          UdpLoad --help

        send   sends datagrams of BYTES payload bytes to ADDR:PORT (IPv4 a.b.c.d:p or IPv6 [x::y]:p) from one
               connected socket, N per sendmmsg call (default 64, at most 1024), as fast as the socket takes
               them, or paced to PPS datagrams per second with --rate; stops after S seconds or N datagrams
               (--count), whichever comes first.
        recv   binds ADDR:PORT and counts datagrams and payload bytes with recvmmsg (N per call, default 64);
               stops S seconds after it started, or once traffic has been silent for --silence seconds (default 1)
               after the first datagram. It blocks in recvmmsg until a datagram arrives; with --poll-ms MS it reads
               without blocking and sleeps MS milliseconds whenever the socket is empty (no wake-up per burst for
               whoever delivers the datagrams; the 8 MiB receive buffer absorbs the sleep).

        Both print one JSON object on stdout when they stop: datagrams, bytes, elapsed_s, pps, gbps (payload
        bits per second / 1e9), calls, errors, cpu_s (the tool's own CPU time). The receiver's elapsed_s runs
        from the first datagram to the last; the sender's from its first send to its end. recv prints
        "udpload: receiving on ADDR:PORT" on stderr once bound.

        exit status: 0 done; 1 a system call failed (or send could not send anything); 2 usage error;
        130 stopped by SIGINT/SIGTERM (the JSON is still printed).
        """;

    public static Options Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new UsageException("missing mode: send or recv (see --help)");
        }

        bool send = args[0] switch
        {
            "send" => true,
            "recv" => false,
            _ => throw new UsageException($"unknown mode '{args[0]}': expected send or recv (see --help)"),
        };
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] allowed = send ? ["--to", "--size", "--seconds", "--batch", "--rate", "--count"] : ["--bind", "--seconds", "--batch", "--silence", "--poll-ms"];
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            if (!allowed.Contains(name))
            {
                throw new UsageException($"{args[0]}: unknown option '{name}' (options: {string.Join(' ', allowed)})");
            }

            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{name} needs a value");
            }

            values[name] = args[++i];
        }

        IPEndPoint endpoint = ParseEndpoint(send ? "--to" : "--bind", Required(values, send ? "--to" : "--bind"));
        double seconds = ParseDouble("--seconds", Required(values, "--seconds"), 0, MaxSeconds, exclusiveMin: true);
        int batch = (int)ParseLong("--batch", values.GetValueOrDefault("--batch", "64"), 1, MaxBatch);
        if (!send)
        {
            double silence = ParseDouble("--silence", values.GetValueOrDefault("--silence", "1"), 0, MaxSeconds, exclusiveMin: true);
            int pollMs = (int)ParseLong("--poll-ms", values.GetValueOrDefault("--poll-ms", "0"), 0, 100);
            return new Options(false, endpoint, 0, seconds, batch, 0, 0, silence, pollMs);
        }

        int size = (int)ParseLong("--size", Required(values, "--size"), 1, MaxSize);
        double rate = ParseDouble("--rate", values.GetValueOrDefault("--rate", "0"), 0, 1e9, exclusiveMin: false);
        long count = ParseLong("--count", values.GetValueOrDefault("--count", "0"), 0, long.MaxValue);
        return new Options(true, endpoint, size, seconds, batch, rate, count, 0, 0);
    }

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out string? v) ? v : throw new UsageException($"missing {name}");

    private static IPEndPoint ParseEndpoint(string name, string text)
    {
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endpoint) || endpoint.Port == 0 || !HasPort(text))
        {
            throw new UsageException($"{name} '{text}': expected ADDR:PORT with a port from 1 to 65535 (IPv6: [ADDR]:PORT)");
        }

        return endpoint;
    }

    // IPEndPoint.TryParse accepts a bare address (port 0) and a bare IPv6 address whose last group looks like a port.
    private static bool HasPort(string text) =>
        text.StartsWith('[') ? text.Contains("]:", StringComparison.Ordinal) : text.Count(c => c == ':') == 1;

    private static long ParseLong(string name, string text, long min, long max)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v < min || v > max)
        {
            throw new UsageException($"{name} '{text}': expected a whole number from {min} to {max}");
        }

        return v;
    }

    private static double ParseDouble(string name, string text, double min, double max, bool exclusiveMin)
    {
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v)
            || v > max || v < min || (exclusiveMin && v == min))
        {
            throw new UsageException($"{name} '{text}': expected a number {(exclusiveMin ? "above" : "from")} {min} " +
                                     $"{(exclusiveMin ? "and at most" : "to")} {max}");
        }

        return v;
    }
}
