using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MptFast.Engine.Tests.Architecture;

/// <summary>One reference from a source file to a type of another engine namespace.</summary>
/// <param name="File">The file, relative to the repository root.</param>
/// <param name="Line">1-based line of the reference.</param>
/// <param name="From">The namespace the file declares.</param>
/// <param name="To">The namespace of the referenced type.</param>
/// <param name="Type">The referenced type's full name.</param>
internal readonly record struct Dependency(string File, int Line, string From, string To, string Type)
{
    public override string ToString() => $"{File}:{Line}: {From} -> {Type}";
}

/// <summary>
/// Binds the engine's sources with Roslyn (the runtime's own assemblies as references; the LibraryImport bodies the
/// source generator would add are missing, which only leaves those partial methods unbound) and lists every name
/// that resolves to a type, or a member of a type, of another <c>MptFast.Engine</c> namespace.
/// </summary>
internal static class DependencyScanner
{
    public const string EnginePrefix = "MptFast.Engine";

    private static readonly Lazy<IReadOnlyList<Dependency>> s_engine = new(() => Scan(EngineSources()));

    /// <summary>The dependencies of src/Engine as it is on disk (computed once per test run).</summary>
    public static IReadOnlyList<Dependency> Engine => s_engine.Value;

    /// <summary>Every source file of src/Engine (build output excluded), as (relative path, text).</summary>
    public static IEnumerable<(string Path, string Text)> EngineSources()
    {
        string root = SharedFilesRoot();
        string engine = Path.Combine(root, "src", "Engine");
        foreach (string file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal))
            {
                continue;
            }

            yield return (relative, File.ReadAllText(file));
        }
    }

    /// <summary>The cross-namespace dependencies of <paramref name="sources"/>.</summary>
    public static IReadOnlyList<Dependency> Scan(IEnumerable<(string Path, string Text)> sources)
    {
        var options = new CSharpParseOptions(LanguageVersion.Preview);
        List<SyntaxTree> trees = [.. sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, options, s.Path))];
        trees.Add(CSharpSyntaxTree.ParseText(ImplicitUsings, options, "GlobalUsings.g.cs"));
        CSharpCompilation compilation = CSharpCompilation.Create("EngineLayering", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var found = new List<Dependency>();
        foreach (SyntaxTree tree in trees)
        {
            string? from = DeclaredNamespace(tree);
            if (from is null)
            {
                continue;
            }

            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
            {
                if (node is not (SimpleNameSyntax or ImplicitObjectCreationExpressionSyntax))
                {
                    continue;
                }

                if (Referenced(model, node) is not { } type)
                {
                    continue;
                }

                string to = type.ContainingNamespace.ToDisplayString();
                if (to.StartsWith(EnginePrefix, StringComparison.Ordinal) && to != from)
                {
                    int line = node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                    found.Add(new Dependency(tree.FilePath, line, from, to, type.ToDisplayString()));
                }
            }
        }

        return found;
    }

    /// <summary>The namespace a file declares (<c>namespace X;</c> or a block), or null.</summary>
    public static string? DeclaredNamespace(SyntaxTree tree) =>
        tree.GetRoot().DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();

    // The outermost type a name refers to: the type itself, or the type declaring the member it names.
    private static INamedTypeSymbol? Referenced(SemanticModel model, SyntaxNode node)
    {
        SymbolInfo info = model.GetSymbolInfo(node);
        ISymbol? symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
        INamedTypeSymbol? type = symbol switch
        {
            null or INamespaceSymbol => null,
            INamedTypeSymbol t => t.OriginalDefinition,
            IMethodSymbol { MethodKind: MethodKind.ReducedExtension } m => m.ReducedFrom?.ContainingType,
            _ => symbol.ContainingType,
        };
        while (type?.ContainingType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static string SharedFilesRoot() => MptFast.Tests.Common.SharedFiles.RepoRoot;

    // The SDK's implicit usings for a library (ImplicitUsings=enable in Directory.Build.props).
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly Lazy<MetadataReference[]> References = new(() =>
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
    ]);
}
