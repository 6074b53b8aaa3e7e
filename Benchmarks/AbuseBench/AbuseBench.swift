import ArgumentParser

@main
struct AbuseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abuse-bench",
        abstract: "Benchmarks of abuse-ingest that print figures against their targets (build with -c release).",
        subcommands: [ParseBench.self, RegistryBench.self, IngestBench.self, EvaluateBench.self, AccumulateBench.self, CompactionBench.self, ServeBench.self, ReviewUIBench.self, Generate.self]
    )
}
