namespace MptFast.Engine.Datapath.Linux;

/// <summary>poll(2) event bits (POLLIN, POLLOUT…).</summary>
[Flags]
public enum PollEvents : short
{
    None = 0,
    Readable = 0x001,
    Priority = 0x002,
    Writable = 0x004,
    Error = 0x008,
    HangUp = 0x010,
    InvalidFd = 0x020,
}
