using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

/// <summary>
/// A retired reorder buffer gives its native block back at once (<see cref="ReorderBuffer.Dispose"/>): a reload
/// replaces every connection's buffer, and the soak saw RSS grow by each retired block while its finalizer waited for a
/// gen-2 collection.
/// </summary>
public class ReorderBufferLifetimeTests
{
    [Fact]
    public void Disposed_buffers_do_not_add_up_in_resident_memory()
    {
        long before = ResidentKiB();
        for (int i = 0; i < 100; i++)
        {
            var buffer = new ReorderBuffer(ReorderBuffer.MaxWindow, 1_000_000);
            var sink = new RecordingSink();
            // Sequence 1 missing: everything after it is held, which writes every slot of the block.
            buffer.Push(0, 0, 0, ref sink);
            for (uint seq = 2; seq <= ReorderBuffer.MaxWindow; seq++)
            {
                buffer.Push(seq, (int)seq, 0, ref sink);
            }

            Assert.True(buffer.Held >= ReorderBuffer.MaxWindow - 2, $"held {buffer.Held}");
            buffer.Dispose();
            buffer.Dispose(); // twice is harmless
        }

        // 100 touched blocks of 330 KB are 33 MB: kept until their finalizers ran, they would show here.
        long grown = ResidentKiB() - before;
        Assert.True(grown < 8 * 1024, $"resident memory grew by {grown} KiB over 100 retired buffers");
    }

    private static long ResidentKiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
