import Foundation
import LogParsers
import Primitives
import RegistryClient

/// The registry CSV import's validation: any bytes give valid rows or a list of problems
/// with their lines; valid rows hold canonical networks and known statuses.
enum RegistryCSVTarget {
    static let target = FuzzTarget(name: "registry-csv", run: run, seeds: { _ in [("registry", Array(DNSResponderTarget.csv.utf8))] })

    static func run(_ data: UnsafeRawBufferPointer) {
        do {
            let csv = try RegistryCSV(bytes: data)
            for row in csv.rows {
                precondition((try? IPNetwork(parsing: row.network.description)) == row.network, "a network that does not read back: \(row.network)")
                precondition(RegistrationStatus.recordable.contains(row.status), "a row with status \(row.status)")
            }
        } catch {
            precondition(!error.problems.isEmpty && error.problems.allSatisfy { $0.line >= 1 }, "a failure without a placed problem")
        }
    }
}
