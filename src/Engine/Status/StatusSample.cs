using System.Text.Json;

namespace MptFast.Engine.Status;

/// <summary>
/// One reading of <c>status --json</c> as the live view needs it (<see cref="LiveView"/>): the client side of
/// <see cref="StatusJson"/>. Counter lists are kept whole by name, so rates can be taken of whatever the daemon
/// publishes; fields a daemon does not have (an older one, or measurements before the first probe) are simply absent.
/// </summary>
public sealed record StatusSample(string Tunnel, double UptimeSeconds, IReadOnlyList<ConnectionSample> Connections)
{
    /// <summary>Reads a <c>status --json</c> text; throws <see cref="JsonException"/> when it is not one.</summary>
    public static StatusSample Parse(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        JsonElement tunnel = root.GetProperty("tunnel");
        var connections = new List<ConnectionSample>();
        foreach (JsonElement c in root.GetProperty("connections").EnumerateArray())
        {
            var paths = new List<PathSample>();
            foreach (JsonElement p in c.GetProperty("paths").EnumerateArray())
            {
                paths.Add(new PathSample(
                    p.GetProperty("index").GetInt32(),
                    p.GetProperty("interface").GetString() ?? "",
                    p.GetProperty("status").GetInt32(),
                    p.GetProperty("status_name").GetString() ?? "",
                    Numbers(p),
                    p.GetProperty("last_keepalive_age_ms").GetInt64(),
                    p.TryGetProperty("drops", out JsonElement drops) ? Numbers(drops).Values.Sum() : 0,
                    p.TryGetProperty("measurement", out JsonElement m) ? Numbers(m) : null));
            }

            connections.Add(new ConnectionSample(
                c.GetProperty("file").GetString() ?? "",
                c.GetProperty("name").GetString() ?? "",
                Numbers(c),
                c.TryGetProperty("reorder", out JsonElement reorder) ? Numbers(reorder) : null,
                paths));
        }

        return new StatusSample(tunnel.GetProperty("name").GetString() ?? "", tunnel.GetProperty("uptime_s").GetDouble(), connections);
    }

    // The numeric members of one object (nested objects are read on their own).
    private static Dictionary<string, double> Numbers(JsonElement e)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (JsonProperty p in e.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Number)
            {
                values[p.Name] = p.Value.GetDouble();
            }
        }

        return values;
    }
}

/// <summary>One connection of a <see cref="StatusSample"/>: its numbers (<c>dropped_no_path</c>, a reorder hold…), its
/// reorder counters when it reorders, its paths.</summary>
public sealed record ConnectionSample(string File, string Name, IReadOnlyDictionary<string, double> Values,
    IReadOnlyDictionary<string, double>? Reorder, IReadOnlyList<PathSample> Paths);

/// <summary>One path of a <see cref="StatusSample"/>: traffic counters by name, the keepalive age (-1: none yet), the
/// drops of every reason together, and the measurements when the daemon publishes them.</summary>
public sealed record PathSample(int Index, string Interface, int Status, string StatusName, IReadOnlyDictionary<string, double> Values,
    long KeepaliveAgeMs, double Drops, IReadOnlyDictionary<string, double>? Measurement);
