using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using MptFast.Engine.Mapping;

namespace MptFast.Generators.Tests.Support;

/// <summary>
/// The usage snippet compiled together with the generated code, and the handle to call it after loading
/// the emitted assembly into a collectible AssemblyLoadContext.
/// </summary>
internal sealed class Probe : IDisposable
{
    public const string Source = """
        using MptFast.Generated;

        public static class Probe
        {
            public static int Count() => BakedPortMaps.Count;
            public static string FileName(int i) => BakedPortMaps.FileName(i);
            public static string Hash(int i) => BakedPortMaps.SourceConfigHash(i);
            public static string Fingerprint(int i) => BakedPortMaps.PortMapFingerprint(i);
            public static int IndexOf(string name) => BakedPortMaps.IndexOf(name);
            public static System.ReadOnlyMemory<byte> Table(int c) => BakedPortMaps.Table(c);
        }
        """;

    private readonly AssemblyLoadContext _context;
    private readonly Type _probe;
    private readonly Dictionary<int, PortMapTable> _baked = [];

    private Probe(AssemblyLoadContext context, Type probe)
    {
        _context = context;
        _probe = probe;
    }

    public int Count => (int)Call("Count")!;

    public string FileName(int i) => (string)Call("FileName", i)!;

    public string Hash(int i) => (string)Call("Hash", i)!;

    public string Fingerprint(int i) => (string)Call("Fingerprint", i)!;

    public int IndexOf(string name) => (int)Call("IndexOf", name)!;

    /// <summary>The generated array of connection <paramref name="connection"/>, as the daemon gets it.</summary>
    public ReadOnlyMemory<byte> RawTable(int connection) => (ReadOnlyMemory<byte>)Call("Table", connection)!;

    /// <summary>The baked table as the daemon uses it: the runtime's PortMapTable over the generated array, not a copy.</summary>
    public PortMapTable Baked(int connection)
    {
        if (!_baked.TryGetValue(connection, out PortMapTable? table))
        {
            table = PortMapTable.FromBaked(RawTable(connection), Fingerprint(connection));
            _baked.Add(connection, table);
        }

        return table;
    }

    /// <summary>The runtime's one lookup over the baked table.</summary>
    public int Lookup(int connection, int protocol, int src, int dst) => Baked(connection).Lookup((byte)protocol, (ushort)src, (ushort)dst);

    /// <summary>The baked table expanded to the flat PortMapRules.BuildTable layout.</summary>
    public byte[] Table(int connection)
    {
        var table = new byte[4 * 65536];
        Baked(connection).CopyTo(table);
        return table;
    }

    public Assembly Assembly => _probe.Assembly;

    /// <summary>Emits <paramref name="compilation"/>; fails the test with the compiler's diagnostics if it does not compile cleanly.</summary>
    public static Probe Load(Compilation compilation)
    {
        // Emit reports every compiler diagnostic (binding the big data initializers once, not twice as GetDiagnostics + Emit would).
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        var warnings = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(emit.Success && warnings.Count == 0, "generated code does not compile cleanly:\n" + string.Join("\n", warnings.Take(20)));
        stream.Position = 0;
        var context = new AssemblyLoadContext("baked-" + compilation.AssemblyName, isCollectible: true);
        Assembly assembly = context.LoadFromStream(stream);
        return new Probe(context, assembly.GetType("Probe", throwOnError: true)!);
    }

    public void Dispose() => _context.Unload();

    private object? Call(string name, params object[] args)
    {
        try
        {
            return _probe.GetMethod(name)!.Invoke(null, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
