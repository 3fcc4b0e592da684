using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>mallopt(3) (glibc).</summary>
internal static partial class Libc
{
    internal const int M_MMAP_THRESHOLD = -3;

    [LibraryImport(Name, EntryPoint = "mallopt")]
    private static partial int MalloptNative(int param, int value);

    /// <summary>
    /// Allocations of at least <paramref name="bytes"/> come from mmap and go back to the kernel when freed. Setting it
    /// also turns off glibc's dynamic threshold, which after the first free of a large block serves later ones from the
    /// heap — where calloc must write every page (resident at once) and free keeps them (issue 15: the packet pools of a
    /// daemon rebuilt for each of a hundred creates). False where the C library has no mallopt (musl).
    /// </summary>
    internal static bool FixMmapThreshold(int bytes)
    {
        try
        {
            return MalloptNative(M_MMAP_THRESHOLD, bytes) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}
