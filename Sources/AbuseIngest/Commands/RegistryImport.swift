import ArgumentParser
import Crypto
import Foundation
import LogParsers
import RegistryClient

extension AbuseIngestCommand {
    struct RegistryImport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load or update registrations from a CSV file, keeping history.",
            discussion: """
                Header: network,registrant,status,abuse_contact,since. The whole file is validated first \
                (CIDR syntax and host bits, status active|suspended|revoked, contact, ISO 8601 since, no \
                network twice); every bad row is reported with its line and nothing is applied (exit 2). \
                Otherwise one transaction; rows equal to the network's last imported state change nothing.
                """
        )

        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print the summary as JSON.") var json = false
        @Argument(help: "The CSV file.") var file: String

        func run() throws {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                Terminal.reportError("cannot read \(file): \(error.localizedDescription)")
                throw ExitStatus.failure
            }
            let csv: RegistryCSV
            do {
                csv = try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in try RegistryCSV(bytes: raw) }
            } catch let error as ValidationFailure {
                for problem in error.problems {
                    Terminal.reportError("\(problem.message) (\(file):\(problem.line))")
                }
                Terminal.error("abuse-ingest: \(error.problems.count) bad row(s); nothing was imported")
                throw ExitStatus.usage
            } catch {
                Terminal.reportError("cannot read \(file): \(error)")
                throw ExitStatus.failure
            }
            let sha256 = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            let store = try global.registryStore()
            let summary = try store.importRows(csv.rows, file: file, sha256: sha256, now: Clock.nowMillis())
            if json {
                print(try JSONText.encode(summary))
            } else {
                print("\(file): \(summary.rows) rows, \(summary.added) added, \(summary.changed) changed, \(summary.unchanged) unchanged")
            }
        }
    }
}
