namespace MptFast.Generators
{
    internal static class Placeholder { }
}
