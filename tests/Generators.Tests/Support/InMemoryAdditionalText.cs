using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace MptFast.Generators.Tests.Support;

/// <summary>An AdditionalText whose content lives in memory; <c>null</c> text models an unreadable file.</summary>
internal sealed class InMemoryAdditionalText(string path, string? text) : AdditionalText
{
    public override string Path { get; } = path;

    public string? Content { get; } = text;

    public override SourceText? GetText(CancellationToken cancellationToken = default) =>
        Content is null ? null : SourceText.From(Content, System.Text.Encoding.UTF8);
}
