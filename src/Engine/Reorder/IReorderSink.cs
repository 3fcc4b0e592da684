namespace MptFast.Engine.Reorder;

/// <summary>Why the reorder buffer gave a packet back without delivering it.</summary>
public enum ReorderDrop : byte
{
    /// <summary>Behind the expected sequence number (already delivered, or its gap was given up).</summary>
    Late = 1,

    /// <summary>A second copy of a packet that is still held (B20: only the copy is dropped).</summary>
    Duplicate = 2,

    /// <summary>Still held when the buffer was reset (connection restart).</summary>
    Reset = 3,
}

/// <summary>
/// Receives the reorder buffer's decisions. A struct implementation passed by <c>ref</c> keeps the
/// calls devirtualised and allocation-free. Every pushed handle comes back exactly once, through
/// <see cref="Deliver"/> or <see cref="Drop"/>.
/// </summary>
public interface IReorderSink
{
    /// <summary>Write the packet to the TUN (in sequence order) and release the handle.</summary>
    void Deliver(int handle);

    /// <summary>Release the handle without writing the packet.</summary>
    void Drop(int handle, ReorderDrop reason);
}
