using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace MptFast.Generators.Tests.Support;

/// <summary>Gives <c>build_metadata.AdditionalFiles.MptConfigFile = true</c> to every AdditionalText whose path is not in <paramref name="unmarked"/>.</summary>
internal sealed class MarkedFilesOptionsProvider(IReadOnlyCollection<string>? unmarked = null) : AnalyzerConfigOptionsProvider
{
    private static readonly DictionaryOptions s_marked = new(new Dictionary<string, string>
    {
        ["build_metadata.AdditionalFiles.MptConfigFile"] = "true",
    });

    private static readonly DictionaryOptions s_none = new(new Dictionary<string, string>());

    public override AnalyzerConfigOptions GlobalOptions => s_none;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => s_none;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        unmarked is not null && unmarked.Contains(textFile.Path) ? s_none : s_marked;

    private sealed class DictionaryOptions(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
