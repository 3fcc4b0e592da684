// Integration tests share the machine's network namespaces and CPU: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
