using MptFast.Fuzz;
using SharpFuzz;

// mptfast-fuzz TARGET               run TARGET under afl-fuzz (SharpFuzz fork server; one input from stdin otherwise)
// mptfast-fuzz replay TARGET PATH…  run every file (or directory of files) through TARGET's invariant checks
// mptfast-fuzz seed DIR             write every target's seed corpus to DIR/TARGET/
unsafe
{
    // The instrumented engine writes every branch into AFL's bitmap; outside afl-fuzz (seed, replay) give it one to
    // write into. Fuzzer.Run points it at the shared memory when afl-fuzz is there.
    SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
}

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: MptFast.Fuzz TARGET | replay TARGET PATH... | seed DIR\ntargets: " + string.Join(' ', FuzzTargets.All.Select(t => t.Name)));
    return args.Length == 0 ? 2 : 0;
}

if (args[0] == "seed" && args.Length == 2)
{
    foreach ((string name, _) in FuzzTargets.All)
    {
        string dir = Directory.CreateDirectory(Path.Combine(args[1], name)).FullName;
        foreach ((string seed, byte[] data) in FuzzSeeds.For(name))
        {
            File.WriteAllBytes(Path.Combine(dir, seed), data);
        }
    }

    return 0;
}

if (args[0] == "replay" && args.Length >= 3)
{
    FuzzTarget target = FuzzTargets.Find(args[1]) ?? throw new ArgumentException("unknown target " + args[1]);
    int failed = 0, ran = 0;
    foreach (string file in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
    {
        ran++;
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    Console.WriteLine($"{args[1]}: {ran} inputs, {failed} failed");
    return failed == 0 ? 0 : 1;
}

FuzzTarget run = FuzzTargets.Find(args[0]) ?? throw new ArgumentException("unknown target " + args[0]);
byte[] buffer = new byte[1 << 20];
Fuzzer.Run(stream =>
{
    int n = 0, read;
    while (n < buffer.Length && (read = stream.Read(buffer, n, buffer.Length - n)) > 0)
    {
        n += read;
    }

    run(buffer.AsSpan(0, n));
});
return 0;
