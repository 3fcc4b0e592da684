using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Cli;

namespace MptFast.Engine.Tests.Control;

/// <summary>The mpt command-line grammar with the §9.10 "Required" fixes (B60–B63) and the original exit codes.</summary>
public sealed class CliCommandLineTests
{
    public static TheoryData<string, CliCommand> Valid => new()
    {
        { "show status", new ShowStatusCommand(StatusFormat.Text) },
        { "show status json", new ShowStatusCommand(StatusFormat.Json) },
        { "show status metrics", new ShowStatusCommand(StatusFormat.Metrics) },
        { "path up 198.18.2.1 198.18.2.2", new PathCommand(true, IPAddress.Parse("198.18.2.1"), IPAddress.Parse("198.18.2.2")) },
        { "path down fd00:1::1 fd00:1::2", new PathCommand(false, IPAddress.Parse("fd00:1::1"), IPAddress.Parse("fd00:1::2")) }, // B60
        { "int eth0 up", new InterfaceCommand("eth0", true) },
        { "interface veth1.100@x down", new InterfaceCommand("veth1.100@x", false) },
        { "int wlan_0-a down", new InterfaceCommand("wlan_0-a", false) },
        { "addr add 10.0.0.1 dev eth0", new AddressCommand(true, new IpPrefix(IPAddress.Parse("10.0.0.1"), 24), "eth0") }, // default 24
        { "address del fd00::5 dev eth0", new AddressCommand(false, new IpPrefix(IPAddress.Parse("fd00::5"), 64), "eth0") }, // B61, B62
        { "addr add 10.0.0.1/32 dev eth0", new AddressCommand(true, new IpPrefix(IPAddress.Parse("10.0.0.1"), 32), "eth0") },
        { "addr add fd00::1/128 dev eth0", new AddressCommand(true, new IpPrefix(IPAddress.Parse("fd00::1"), 128), "eth0") },
        { "addr add 10.0.0.1/0 dev eth0", new AddressCommand(true, new IpPrefix(IPAddress.Parse("10.0.0.1"), 0), "eth0") },
        { "reload", new ReloadCommand(null) },
        { "reload tunnel.conf", new ReloadCommand("tunnel.conf") },
        { "restart", new RestartCommand(null) },
        { "restart tunnel.conf", new RestartCommand("tunnel.conf") },
        { "delete tunnel.conf", new DeleteCommand("tunnel.conf") },
        { "save", new SaveCommand(null) },
        { "save tunnel.conf", new SaveCommand("tunnel.conf") },
        { "create tunnel.conf", new CreateCommand("tunnel.conf") },
    };

    public static TheoryData<string, CliExitCode> Invalid => new()
    {
        { "", CliExitCode.UnknownCommand },
        { "status", CliExitCode.UnknownCommand },
        { "SHOW status", CliExitCode.UnknownCommand },
        { " show status", CliExitCode.UnknownCommand },
        { "show  status", CliExitCode.WrongParameters },
        { "show status ", CliExitCode.WrongParameters },
        { "show", CliExitCode.WrongParameters },
        { "show stats", CliExitCode.WrongParameters },
        { "path up 198.18.2.1", CliExitCode.WrongParameters },
        { "path sideways 198.18.2.1 198.18.2.2", CliExitCode.WrongParameters },
        { "path up 198.18.2.256 198.18.2.2", CliExitCode.InvalidIp },
        { "path up 198.18.2 198.18.2.2", CliExitCode.InvalidIp },
        { "path up 198.18.02.1 198.18.2.2", CliExitCode.InvalidIp },
        { "path up 198.18.2.1 fd00::g", CliExitCode.InvalidIp },
        { "path up 198.18.2.1 fd00::1", CliExitCode.WrongParameters }, // mixed families never match a path
        { "path up fe80::1%eth0 fe80::2", CliExitCode.InvalidIp },
        { "int eth0", CliExitCode.WrongParameters },
        { "int eth0 sideways", CliExitCode.WrongParameters },
        { "int averyveryverylongname up", CliExitCode.WrongParameters }, // 21 > 15
        { "int eth/0 up", CliExitCode.WrongParameters },
        { "int .. up", CliExitCode.WrongParameters },
        { "addr add 10.0.0.1/33 dev eth0", CliExitCode.InvalidPrefix },
        { "addr add fd00::1/129 dev eth0", CliExitCode.InvalidPrefix },
        { "addr add 10.0.0.1/ dev eth0", CliExitCode.InvalidPrefix },
        { "addr add 10.0.0.1/x dev eth0", CliExitCode.InvalidPrefix },
        { "addr add 10.0.0.1/-1 dev eth0", CliExitCode.InvalidPrefix },
        { "addr add 10.0.0.300 dev eth0", CliExitCode.InvalidIp },
        { "addr put 10.0.0.1 dev eth0", CliExitCode.WrongParameters },
        { "addr add 10.0.0.1 on eth0", CliExitCode.WrongParameters },
        { "addr add 10.0.0.1 dev", CliExitCode.WrongParameters },
        { "addr add 10.0.0.1 dev e!h0", CliExitCode.WrongParameters },
        { "reload a.conf b.conf", CliExitCode.WrongParameters }, // B63: never "all connections"
        { "reload ", CliExitCode.WrongParameters },
        { "restart a.conf b.conf", CliExitCode.WrongParameters },
        { "restart ", CliExitCode.WrongParameters },
        { "save a.conf b.conf", CliExitCode.WrongParameters },
        { "save ", CliExitCode.WrongParameters },
        { "save ../x.conf", CliExitCode.WrongParameters },
        { "delete", CliExitCode.WrongParameters },
        { "delete a.conf b.conf", CliExitCode.WrongParameters },
        { "create", CliExitCode.WrongParameters },
        { "create ..", CliExitCode.WrongParameters },
        { "reload a\tb", CliExitCode.WrongParameters },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_lines_parse_to_the_command(string line, CliCommand expected)
    {
        CliParseResult r = CliCommandLine.Parse(line);
        Assert.Equal(CliExitCode.Ok, r.ExitCode);
        Assert.Equal(expected, r.Command);
        Assert.Equal(expected.Kind, r.Kind);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Canonical_text_parses_back_to_the_same_command(string line, CliCommand expected)
    {
        _ = line;
        Assert.Equal(expected, CliCommandLine.Parse(expected.ToCommandLine()).Command);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_lines_give_the_original_exit_code_and_a_message(string line, CliExitCode expected)
    {
        CliParseResult r = CliCommandLine.Parse(line);
        Assert.Null(r.Command);
        Assert.Equal(expected, r.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(r.Message));
        Assert.Equal(expected == CliExitCode.UnknownCommand, r.Kind is null);
    }

    [Fact]
    public void Every_command_has_a_help_text_and_all_of_them_are_in_the_full_help()
    {
        foreach (CliCommandKind kind in Enum.GetValues<CliCommandKind>())
        {
            string help = CliHelp.For(kind);
            Assert.False(string.IsNullOrWhiteSpace(help), kind.ToString());
            Assert.Contains(help, CliHelp.All, StringComparison.Ordinal);
        }

        Assert.Contains("64 for IPv6", CliHelp.For(CliCommandKind.Address), StringComparison.Ordinal);
    }

    [Fact]
    public void Random_lines_never_throw_and_valid_results_round_trip()
    {
        const int Seed = 977;
        var random = new Random(Seed);
        string[] words = ["show", "status", "json", "path", "up", "down", "int", "interface", "addr", "address", "add", "del", "dev",
            "reload", "restart", "delete", "save", "create", "eth0", "10.0.0.1", "10.0.0.1/8", "fd00::1", "fd00::1/200", "a.conf", "", "x/y"];
        for (int i = 0; i < 3000; i++)
        {
            int n = random.Next(1, 7);
            string line = string.Join(' ', Enumerable.Range(0, n).Select(_ => words[random.Next(words.Length)]));
            CliParseResult r = CliCommandLine.Parse(line);
            Assert.True(r.Succeeded == (r.ExitCode == CliExitCode.Ok), $"seed {Seed}, case {i}: '{line}'");
            if (r.Command is CliCommand c)
            {
                Assert.True(c == CliCommandLine.Parse(c.ToCommandLine()).Command, $"seed {Seed}, case {i}: '{line}'");
            }
        }
    }
}
