using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// A daemon started under <c>nohup</c> inherits SIGHUP as ignored; its SIGHUP means "reload", so it takes the signal
/// back (found when a whole test run was started under nohup: every SIGHUP test failed, the daemons never reloaded).
/// </summary>
public class NohupTests
{
    [Fact]
    public void A_daemon_started_under_nohup_reloads_on_sighup()
    {
        TestEnvironment.RequireRoot();
        using var dir = new TempDir();
        ProcResult init = Proc.Run(TimeSpan.FromSeconds(30), TestEnvironment.MptfastBinary, "init-config", "--peer-dir", Path.Combine(dir.Path, "b"),
            Path.Combine(dir.Path, "a"));
        Assert.True(init.ExitCode == 0, init.All);

        using var tb = new Testbed(paths: 2, v6: false);
        using DaemonProcess a = DaemonProcess.StartWrapped(tb.A, dir.Sub("a"), ["nohup"]);
        a.WaitForLog("SIGHUP was inherited as ignored", TimeSpan.FromSeconds(10));
        a.Signal("HUP");
        a.WaitForLog("SIGHUP: reload", TimeSpan.FromSeconds(10));
        Assert.False(a.HasExited, a.Log);
    }
}
