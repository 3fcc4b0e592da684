using System.Globalization;
using System.Runtime.InteropServices;

namespace MptFast.Engine.Control.Local;

/// <summary>
/// The process at the other end of a local control connection, as the kernel reports it (<c>SO_PEERCRED</c>,
/// <c>struct ucred</c>: pid, uid, gid as three 32-bit integers in host order) — never what the client claims.
/// </summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    /// <summary>Size of <c>struct ucred</c> on Linux.</summary>
    public const int Size = 12;

    /// <summary>Reads a <c>struct ucred</c>; false when <paramref name="ucred"/> is shorter.</summary>
    public static bool TryRead(ReadOnlySpan<byte> ucred, out PeerCredentials credentials)
    {
        credentials = default;
        if (ucred.Length < Size)
        {
            return false;
        }

        credentials = new PeerCredentials(MemoryMarshal.Read<int>(ucred), MemoryMarshal.Read<uint>(ucred[4..]), MemoryMarshal.Read<uint>(ucred[8..]));
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"pid {Pid} uid {Uid} gid {Gid}");
}
