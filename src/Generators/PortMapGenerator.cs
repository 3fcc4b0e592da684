// The build-time port-map compiler: MPT config files (AdditionalFiles marked MptConfigFile=true, see
// build/MptFast.Generators.props) → MptFast.Generated.BakedPortMaps. Pipeline as dotnet/runtime's
// generators (STYLE.md): Parser → value-equal Spec records → Emitter, diagnostics reported apart.
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using MptFast.Generators.Diagnostics;
using MptFast.Generators.Emitter;
using MptFast.Generators.Model;
using MptFast.Generators.Parsing;

namespace MptFast.Generators
{
    /// <summary>Compiles the port maps of the project's MPT connection files into a branch-free lookup table.</summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class PortMapGenerator : IIncrementalGenerator
    {
        /// <summary>The AdditionalFiles metadata that marks an MPT config file (made visible by the props file).</summary>
        public const string MarkerMetadata = "build_metadata.AdditionalFiles.MptConfigFile";

        /// <summary>Tracking names of the pipeline steps (tests assert they are cached).</summary>
        public static class TrackingNames
        {
            public const string ConfigFiles = "MptConfigFiles";
            public const string Parsed = "ParsedConfigFiles";
            public const string Specs = "PortMapSpecs";
            public const string Collected = "CollectedPortMapSpecs";
            public const string Diagnostics = "PortMapDiagnostics";
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<AdditionalText> configFiles = context.AdditionalTextsProvider
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Where(static pair => IsMarked(pair.Right.GetOptions(pair.Left)))
                .Select(static (pair, _) => pair.Left)
                .WithTrackingName(TrackingNames.ConfigFiles);

            IncrementalValuesProvider<ConfigFileModel> parsed = configFiles
                .Select(static (file, cancellationToken) => Parse(file, cancellationToken))
                .WithTrackingName(TrackingNames.Parsed);

            IncrementalValueProvider<ImmutableArray<ConnectionPortMapSpec>> specs = parsed
                .Where(static model => model.Spec is not null)
                .Select(static (model, _) => model.Spec!)
                .WithTrackingName(TrackingNames.Specs)
                .Collect()
                .WithTrackingName(TrackingNames.Collected);

            IncrementalValuesProvider<ImmutableEquatableArray<DiagnosticInfo>> diagnostics = parsed
                .Select(static (model, _) => model.Diagnostics)
                .WithTrackingName(TrackingNames.Diagnostics);

            context.RegisterSourceOutput(specs, static (spc, connections) =>
                spc.AddSource(PortMapEmitter.HintName, SourceText.From(PortMapEmitter.Emit(connections), System.Text.Encoding.UTF8)));

            context.RegisterSourceOutput(diagnostics, static (spc, infos) =>
            {
                foreach (DiagnosticInfo info in infos)
                {
                    spc.ReportDiagnostic(Diagnostic.Create(PortMapDiagnostics.ForId(info.Id), info.ToLocation(), info.Message));
                }
            });
        }

        private static bool IsMarked(AnalyzerConfigOptions options) =>
            options.TryGetValue(MarkerMetadata, out string? value) &&
            string.Equals(value?.Trim(), "true", System.StringComparison.OrdinalIgnoreCase);

        private static ConfigFileModel Parse(AdditionalText file, CancellationToken cancellationToken) =>
            ConfigFileParser.Parse(file.Path, file.GetText(cancellationToken), cancellationToken);
    }
}
