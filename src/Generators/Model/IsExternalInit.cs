// netstandard2.0 lacks the marker type that `record` and `init` need.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
