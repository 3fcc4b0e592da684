using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary>Property: parse(write(m, Full)) == m for random valid models (seeded, the seed is in every failure).</summary>
public class ConfigRoundTripTests
{
    private const int Cases = 600;

    [Fact]
    public void Connection_full_format_round_trips_for_random_models()
    {
        for (int seed = 1; seed <= Cases; seed++)
        {
            ConnectionConfig model = new RandomConfigs(seed).Connection();
            string text = ConfigWriter.WriteConnection(model, ConnectionFormat.Full);

            ConfigParseResult<ConnectionConfig> result = ConnectionParser.Parse(text, model.FileName);

            Assert.True(result.Succeeded, $"seed {seed}: {string.Join("\n", result.Errors)}\n{text}");
            Assert.True(model == result.Value, $"seed {seed}: parsed model differs\n{text}");
        }
    }

    [Fact]
    public void Interface_round_trips_for_random_models()
    {
        for (int seed = 1; seed <= Cases; seed++)
        {
            InterfaceConfig model = new RandomConfigs(seed).Interface();
            string text = ConfigWriter.WriteInterface(model);

            ConfigParseResult<InterfaceConfig> result = InterfaceParser.Parse(text, "interface.conf");

            Assert.True(result.Succeeded, $"seed {seed}: {string.Join("\n", result.Errors)}\n{text}");
            Assert.True(model == result.Value, $"seed {seed}: parsed model differs\n{text}");
        }
    }

    [Fact]
    public void Original_format_loses_only_what_the_original_loses()
    {
        for (int seed = 1; seed <= 200; seed++)
        {
            ConnectionConfig model = new RandomConfigs(seed).Connection();
            string text = ConfigWriter.WriteConnection(model, ConnectionFormat.Original);

            ConnectionConfig parsed = ConnectionParser.Parse(text, model.FileName).GetValueOrThrow();

            // MPT-SPEC §5.10: auth_key, cmd_default, window_size and the port maps are not saved; the word
            // private_ipaddr is saved as the address it stood for. MptFast's millisecond liveness keys are not either.
            ConnectionConfig expected = model with
            {
                AuthKey = ConnectionConfig.DefaultAuthKey,
                Paths = model.Paths.Select(p => p with
                {
                    CmdDefault = false,
                    WindowSize = 1,
                    PublicIsPrivate = false,
                    KeepaliveMsec = null,
                    DeadTimeMsec = null,
                    TcpSrc = default,
                    TcpDst = default,
                    UdpSrc = default,
                    UdpDst = default,
                }).ToEquatableArray(),
            };
            Assert.True(expected == parsed, $"seed {seed}\n{text}");
            Assert.DoesNotContain("auth_key", text, StringComparison.Ordinal);
        }
    }
}
