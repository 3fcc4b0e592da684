using MptFast.Engine.Mapping;

namespace MptFast.Engine.Tests;

public class SmokeTests
{
    [Fact]
    public void Port_list_parses_the_readme_example()
    {
        var ranges = new List<PortRange>();
        Assert.True(PortMapRules.TryParse("80 443 8080", ranges, out _));
        Assert.Equal(new[] { new PortRange(80, 80), new PortRange(443, 443), new PortRange(8080, 8080) }, ranges);
    }
}
