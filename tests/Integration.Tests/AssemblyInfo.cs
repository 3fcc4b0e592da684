// Integration tests share the machine's network namespaces and CPU: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Network namespaces, TUN and file modes: these tests only run on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
