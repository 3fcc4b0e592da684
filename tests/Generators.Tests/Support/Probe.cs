using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

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
            public static int IndexOf(string name) => BakedPortMaps.IndexOf(name);
            public static byte Lookup(int c, int protocol, int src, int dst) => BakedPortMaps.Lookup(c, protocol, src, dst);
            public static void CopyTable(int c, byte[] destination) => BakedPortMaps.CopyTable(c, destination);
        }
        """;

    private readonly AssemblyLoadContext _context;
    private readonly Type _probe;

    private Probe(AssemblyLoadContext context, Type probe)
    {
        _context = context;
        _probe = probe;
        Lookup = _probe.GetMethod("Lookup")!.CreateDelegate<Func<int, int, int, int, byte>>();
        CopyTable = _probe.GetMethod("CopyTable")!.CreateDelegate<Action<int, byte[]>>();
    }

    public Func<int, int, int, int, byte> Lookup { get; }

    public Action<int, byte[]> CopyTable { get; }

    public int Count => (int)Call("Count")!;

    public string FileName(int i) => (string)Call("FileName", i)!;

    public string Hash(int i) => (string)Call("Hash", i)!;

    public int IndexOf(string name) => (int)Call("IndexOf", name)!;

    public byte[] Table(int connection)
    {
        var table = new byte[4 * 65536];
        CopyTable(connection, table);
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
