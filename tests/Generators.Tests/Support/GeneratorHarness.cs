extern alias gen;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PortMapGenerator = gen::MptFast.Generators.PortMapGenerator;

namespace MptFast.Generators.Tests.Support;

/// <summary>Drives <see cref="PortMapGenerator"/> with CSharpGeneratorDriver over in-memory config files.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.Length > 0 && Path.GetDirectoryName(p) == Path.GetDirectoryName(typeof(object).Assembly.Location)) // the shared framework only
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary>A compilation holding only <paramref name="sources"/> (the usage snippet).</summary>
    public static CSharpCompilation CreateCompilation(string assemblyName, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            References,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> files, IReadOnlyCollection<string>? unmarked = null) =>
        CSharpGeneratorDriver.Create(
            [new PortMapGenerator().AsSourceGenerator()],
            files,
            ParseOptions,
            new MarkedFilesOptionsProvider(unmarked),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; returns the run result and the compilation with the generated tree added.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output, GeneratorDriver Driver) Run(
        IEnumerable<AdditionalText> files, string? usage = null, IReadOnlyCollection<string>? unmarked = null)
    {
        CSharpCompilation input = CreateCompilation("Baked" + Guid.NewGuid().ToString("N"), usage ?? Probe.Source);
        GeneratorDriver driver = CreateDriver(files, unmarked).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        return (driver.GetRunResult(), output, driver);
    }

    public static string GeneratedSource(GeneratorDriverRunResult result) =>
        result.Results.Single().GeneratedSources.Single().SourceText.ToString();
}
