extern alias gen;

using System.Diagnostics;
using MptFast.Tests.Common;
using PortMapGenerator = gen::MptFast.Generators.PortMapGenerator;

namespace MptFast.Generators.Tests;

/// <summary>A real `dotnet build` of a project that imports the props/targets and loads the built generator.</summary>
public sealed class ConsumerBuildTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mptfast-gen-consumer-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Consumer_build_fails_with_the_config_file_position_of_a_port_map_error()
    {
        WriteConsumer("""<MptConfig Include="conf/**/*.conf" />""");

        (int exitCode, string output) = RunDotnet("build", "Consumer.csproj", "--nologo", "-p:TreatWarningsAsErrors=false", "--disable-build-servers", "-nodeReuse:false");

        Assert.True(exitCode != 0, "build should fail:\n" + output);
        Assert.Contains("x.conf(7,14): error MPT0003", output, StringComparison.Ordinal);
        Assert.Contains("path_0 and path_1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void MptConfigDir_property_turns_every_conf_file_into_a_marked_additional_file()
    {
        WriteConsumer(string.Empty);

        (int exitCode, string output) = RunDotnet("msbuild", "Consumer.csproj", "--nologo", "-nodeReuse:false", "-p:MptConfigDir=conf", "-getItem:AdditionalFiles", "-getItem:CompilerVisibleItemMetadata");

        Assert.True(exitCode == 0, output);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        var items = json.RootElement.GetProperty("Items");
        var files = items.GetProperty("AdditionalFiles").EnumerateArray()
            .Select(i => (Path.GetFileName(i.GetProperty("FullPath").GetString()!), i.GetProperty("MptConfigFile").GetString()))
            .Order()
            .ToArray();
        Assert.Equal([("interface.conf", "true"), ("x.conf", "true")], files);
        Assert.Contains(
            items.GetProperty("CompilerVisibleItemMetadata").EnumerateArray(),
            i => i.GetProperty("Identity").GetString() == "AdditionalFiles" && i.GetProperty("MetadataName").GetString() == "MptConfigFile");
    }

    private void WriteConsumer(string configItems)
    {
        string buildDir = Path.Combine(SharedFiles.RepoRoot, "src", "Generators", "build");
        string analyzer = typeof(PortMapGenerator).Assembly.Location;
        Directory.CreateDirectory(Path.Combine(_dir, "conf", "connections"));
        File.Copy(Path.Combine(SharedFiles.RepoRoot, "global.json"), Path.Combine(_dir, "global.json"));
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(_dir, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <Import Project="{buildDir}/MptFast.Generators.props" />
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <Analyzer Include="{analyzer}" />
                {configItems}
              </ItemGroup>
              <Import Project="{buildDir}/MptFast.Generators.targets" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(_dir, "Use.cs"), "public static class Use { public static int Count => MptFast.Generated.BakedPortMaps.Count; }\n");
        File.WriteAllText(Path.Combine(_dir, "conf", "interface.conf"), "[general]\ntunnel_num = 1\n");
        File.WriteAllText(Path.Combine(_dir, "conf", "connections", "x.conf"), """
            [connection]
            name = consumer
            path_count = 2
            [path_0]
            tcp_dst = 80 443
            [path_1]
            tcp_dst = 22 443
            """);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a leftover temp dir is harmless
        }
    }

    private (int ExitCode, string Output) RunDotnet(params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The test host runs inside MSBuild/vstest: do not leak their settings into the child build.
        foreach (string name in new[] { "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("dotnet build did not finish within 120 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
