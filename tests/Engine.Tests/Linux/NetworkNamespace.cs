using System.Runtime.ExceptionServices;
using MptFast.Engine.Daemon;
using MptFast.Engine.Interop;

namespace MptFast.Engine.Tests.Linux;

/// <summary>
/// A throw-away network namespace (<c>ip netns add</c>) and a way to run code inside it: <see cref="Run{T}"/> starts a
/// dedicated OS thread, moves it in with setns(CLONE_NEWNET) and runs the action there. Descriptors created inside
/// (TUN, sockets) stay in the namespace and may then be used from any thread. Dispose deletes the namespace.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name)
    {
        Name = name;
        Links = new LinkConfigurator(name);
    }

    public string Name { get; }

    /// <summary>Runs <c>ip -n NAME …</c>.</summary>
    public LinkConfigurator Links { get; }

    public static NetworkNamespace Create(string name)
    {
        new LinkConfigurator().Run("netns", "add", name).ThrowIfFailed();
        return new NetworkNamespace(name);
    }

    /// <summary>Runs <paramref name="action"/> on a fresh thread inside the namespace; the thread ends afterwards, so
    /// no pooled thread is ever left in the namespace.</summary>
    public T Run<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter();
                result = action();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        });
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    public void Dispose()
    {
        _ = new LinkConfigurator().Run("netns", "del", Name);
    }

    private void Enter()
    {
        int fd = Libc.Open("/var/run/netns/" + Name, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            LinuxError.ThrowLast("open netns " + Name);
        }

        try
        {
            if (Libc.SetNs(fd, Libc.CLONE_NEWNET) != 0)
            {
                LinuxError.ThrowLast("setns " + Name);
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }
}

/// <summary>
/// A fact that needs root + CAP_NET_ADMIN (network namespaces, TUN). Skipped with a message when not privileged,
/// unless CI=true: CI must run these, so there it runs and fails loudly.
/// </summary>
internal sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!Environment.IsPrivilegedProcess && !ci)
        {
            Skip = "needs root + CAP_NET_ADMIN (network namespace, TUN device); run as root, or set CI=true to make this a failure";
        }
    }
}
