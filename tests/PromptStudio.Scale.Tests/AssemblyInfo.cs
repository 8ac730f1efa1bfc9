// Two app processes per test already fill the two cores; tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
