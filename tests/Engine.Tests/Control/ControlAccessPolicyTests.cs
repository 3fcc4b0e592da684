using System.Net.Sockets;
using MptFast.Engine.Control.Local;
using Xunit;

namespace MptFast.Engine.Tests.Control;

/// <summary>Issue 14: who may drive the daemon over the local control socket, from the kernel's SO_PEERCRED.</summary>
public class ControlAccessPolicyTests
{
    [Fact]
    public void Root_is_admitted_and_every_other_user_refused_by_default()
    {
        var policy = new ControlAccessPolicy(null);
        Assert.True(policy.Allows(new PeerCredentials(10, 0, 0), out string none));
        Assert.Equal("", none);
        Assert.True(policy.Allows(new PeerCredentials(10, 0, 1000), out _));
        Assert.False(policy.Allows(new PeerCredentials(11, 65534, 65534), out string why));
        Assert.Contains("uid 65534 is not root", why, StringComparison.Ordinal);
        Assert.False(policy.Allows(new PeerCredentials(12, 1000, 0), out _)); // gid 0 alone is not root
    }

    [Fact]
    public void The_configured_group_is_admitted_beside_root_and_no_other()
    {
        var policy = new ControlAccessPolicy(990);
        Assert.True(policy.Allows(new PeerCredentials(10, 1000, 990), out _));
        Assert.True(policy.Allows(new PeerCredentials(10, 0, 0), out _));
        Assert.False(policy.Allows(new PeerCredentials(10, 1000, 991), out string why));
        Assert.Contains("group 990 (control_gid)", why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ucred_is_read_in_host_order_and_a_short_one_refused()
    {
        byte[] ucred = new byte[12];
        BitConverter.TryWriteBytes(ucred.AsSpan(0), 4242);
        BitConverter.TryWriteBytes(ucred.AsSpan(4), 65534u);
        BitConverter.TryWriteBytes(ucred.AsSpan(8), 65533u);
        Assert.True(PeerCredentials.TryRead(ucred, out PeerCredentials c));
        Assert.Equal(new PeerCredentials(4242, 65534, 65533), c);
        Assert.Equal("pid 4242 uid 65534 gid 65533", c.ToString());
        Assert.False(PeerCredentials.TryRead(ucred.AsSpan(0, 11), out _));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_socket_reports_this_process_as_its_peer_and_is_0600_and_removed_at_dispose()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mptfast-ut-" + Guid.NewGuid().ToString("N")[..8]);
        string path = Path.Combine(dir, "sub", "control.sock");
        try
        {
            using (LocalControlSocket local = LocalControlSocket.Open(path))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                using var client = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
                client.Connect(new UnixDomainSocketEndPoint(path));
                byte[] buffer = new byte[100];
                Socket listener = local.Sockets.Single();
                Assert.Null(local.Serve(listener, buffer)); // the accept
                client.Send("hello"u8);
                Socket accepted = local.Sockets.Last();
                Assert.True(accepted.Poll(5_000_000, SelectMode.SelectRead));
                LocalRequest? request = local.Serve(accepted, buffer);
                Assert.NotNull(request);
                Assert.Equal("hello"u8.ToArray(), request.Message.ToArray());
                Assert.Equal(Environment.ProcessId, request.Peer.Pid);
                Assert.Throws<IOException>(() => LocalControlSocket.Open(path)); // a live daemon's socket is kept
            }

            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
