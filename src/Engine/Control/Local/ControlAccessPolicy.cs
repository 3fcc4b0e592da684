using System.Globalization;

namespace MptFast.Engine.Control.Local;

/// <summary>
/// Who may drive the daemon over the local control socket: root, and — when <c>control_gid</c> is configured — the
/// members of that group by their primary gid (what <c>SO_PEERCRED</c> reports). The socket file's mode is the first
/// gate; this check is the second, so a socket made reachable by mistake (a wrong mode, a bind mount) still refuses.
/// </summary>
public sealed class ControlAccessPolicy
{
    private readonly uint? _group;

    /// <summary>Root only, or root and <paramref name="group"/>.</summary>
    public ControlAccessPolicy(uint? group) => _group = group;

    /// <summary>True when <paramref name="peer"/> may send commands; else <paramref name="refusal"/> says why.</summary>
    public bool Allows(PeerCredentials peer, out string refusal)
    {
        if (peer.Uid == 0 || (_group is uint g && peer.Gid == g))
        {
            refusal = "";
            return true;
        }

        refusal = _group is uint group
            ? string.Create(CultureInfo.InvariantCulture, $"permission denied: uid {peer.Uid} gid {peer.Gid} is neither root nor in group {group} (control_gid)")
            : string.Create(CultureInfo.InvariantCulture, $"permission denied: uid {peer.Uid} is not root (set control_gid in interface.conf to admit a group)");
        return false;
    }
}
