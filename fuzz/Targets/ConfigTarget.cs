using System.Text;
using MptFast.Engine.Config;

namespace MptFast.Fuzz;

/// <summary>
/// The INI dialect and the connection / template / interface parsers (MPT-SPEC §5.2–§5.8) — the connection parser also
/// reads create bodies sent by remote peers (§4.7). Invariants: no exception; every error and warning names this
/// file, a line inside the text (0 = no line), a key and a message; a value exactly when there is no error; for an
/// accepted file parse∘write∘parse = parse (both the full <c>mpt save</c> layout and, for connections, the original
/// layout a create body uses must read back without error).
/// </summary>
internal static class ConfigTarget
{
    public const string ConnectionFile = "fuzz.conf";
    public const string TemplateFile = "conf.template";
    public const string InterfaceFile = "interface.conf";

    public static void Run(ReadOnlySpan<byte> data)
    {
        string text = Encoding.UTF8.GetString(data);
        int lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Length;

        ConfigParseResult<ConnectionConfig> connection = ConnectionParser.Parse(text, ConnectionFile);
        CheckDiagnostics(connection, ConnectionFile, lines);
        if (connection.Value is { } c)
        {
            CheckRoundTrip(c, template: false);
        }

        ConfigParseResult<ConnectionConfig> template = ConnectionParser.ParseTemplate(text, TemplateFile);
        CheckDiagnostics(template, TemplateFile, lines);
        if (template.Value is { } t)
        {
            CheckRoundTrip(t, template: true);
        }

        ConfigParseResult<InterfaceConfig> iface = InterfaceParser.Parse(text, InterfaceFile);
        CheckDiagnostics(iface, InterfaceFile, lines);
        if (iface.Value is { } i)
        {
            ConfigParseResult<InterfaceConfig> again = InterfaceParser.Parse(ConfigWriter.WriteInterface(i), InterfaceFile);
            Fuzz.Require(again.Succeeded, "config: a written interface.conf does not parse: " + First(again));
            Fuzz.Require(again.Value == i with { TunnelNum = 1 }, "config: interface parse∘write∘parse differs from parse");
        }
    }

    /// <summary>Errors and warnings carry file:line positions inside the text (B76: name the line).</summary>
    public static void CheckDiagnostics<T>(ConfigParseResult<T> result, string file, int lines)
        where T : class
    {
        Fuzz.Require(result.Succeeded == (result.Errors.Count == 0) && (result.Value is not null) == result.Succeeded,
            "config: a value exactly when there is no error");
        foreach (ConfigError e in result.Errors)
        {
            CheckPosition(file, lines, e.File, e.Line, e.Key, e.Message, e.ToString());
        }

        foreach (ConfigWarning w in result.Warnings)
        {
            CheckPosition(file, lines, w.File, w.Line, w.Key, w.Message, w.ToString());
        }
    }

    private static void CheckPosition(string file, int lines, string errorFile, int line, string key, string message, string formatted)
    {
        Fuzz.Require(errorFile == file, $"config: diagnostic names file '{errorFile}', not '{file}'");
        Fuzz.Require(line >= 0 && line <= lines, $"config: diagnostic line {line} outside the text's {lines} lines");
        Fuzz.Require(key.Length > 0 && message.Length > 0, "config: diagnostic without key or message");
        Fuzz.Require(formatted.StartsWith(file + ":", StringComparison.Ordinal) && formatted.Contains(key, StringComparison.Ordinal),
            "config: diagnostic text is not file:line: key: message: " + formatted);
    }

    private static void CheckRoundTrip(ConnectionConfig c, bool template)
    {
        string file = template ? TemplateFile : ConnectionFile;
        ConfigParseResult<ConnectionConfig> full = Parse(ConfigWriter.WriteConnection(c, ConnectionFormat.Full), file, template);
        Fuzz.Require(full.Succeeded, "config: the mpt save layout of an accepted file does not parse: " + First(full));
        Fuzz.Require(full.Value == c, "config: parse∘write∘parse differs from parse (mpt save layout)");

        // The create body (§4.7, B53): no key, no cmd_default, window_size or port maps; the rest must come back.
        ConfigParseResult<ConnectionConfig> original = Parse(ConfigWriter.WriteConnection(c, ConnectionFormat.Original), file, template);
        Fuzz.Require(original.Succeeded, "config: the original layout (a create body) of an accepted file does not parse: " + First(original));
        ConnectionConfig o = original.Value!;
        Fuzz.Require(o.Name == c.Name && o.IpLocal.Equals(c.IpLocal) && o.IpRemote.Equals(c.IpRemote) && o.Paths.Count == c.Paths.Count
            && o.Networks == c.Networks && o.LocalPort == c.LocalPort && o.ReorderWindow == c.ReorderWindow,
            "config: the original layout lost a field");
        FuzzReach.ConfigsRoundTripped++;
    }

    private static ConfigParseResult<ConnectionConfig> Parse(string text, string file, bool template) =>
        template ? ConnectionParser.ParseTemplate(text, file) : ConnectionParser.Parse(text, file);

    private static string First<T>(ConfigParseResult<T> r)
        where T : class => r.Errors.Count > 0 ? r.Errors[0].ToString() : "";
}
