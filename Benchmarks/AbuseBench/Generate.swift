import ArgumentParser
import LogParsers

extension AbuseBench {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a deterministic synthetic Postfix log (gzip).")

        @Option(help: "Number of lines.") var lines = 1_000_000
        @Option(help: "Random seed (same seed, same file).") var seed: UInt64 = 42
        @Option(help: "Distinct client addresses.") var clients = 200_000
        @Option(help: "Host name in the syslog header.") var host = "mx1"
        @Argument(help: "Output file (gzip).") var output: String

        func run() throws {
            let writer = try GzipFileWriter(path: output)
            SyntheticPostfixLog(seed: seed, clients: clients, host: host).generate(lines: lines) { writer.write($0) }
            try writer.close()
        }
    }
}
