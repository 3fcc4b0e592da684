namespace MptFast.Engine.Tests.Config;

/// <summary>A throw-away <c>conf/</c> folder with a <c>connections/</c> subfolder, deleted on dispose.</summary>
internal sealed class TempConfDir : IDisposable
{
    public TempConfDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mptfast-conf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(ConnectionsPath);
    }

    public string Path { get; }

    public string ConnectionsPath => System.IO.Path.Combine(Path, "connections");

    public void WriteInterface(string text) => File.WriteAllText(System.IO.Path.Combine(Path, "interface.conf"), text);

    public void WriteConnection(string fileName, string text) => File.WriteAllText(System.IO.Path.Combine(ConnectionsPath, fileName), text);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a leftover temp folder is harmless
        }
    }
}
