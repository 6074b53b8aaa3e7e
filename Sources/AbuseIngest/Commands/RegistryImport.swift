import ArgumentParser
import Primitives
import RegistryClient

extension AbuseIngestCommand.Registry {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", 
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
            let summary = try global.registryStore().importFile(file, now: WallClock.system.nowMillis())
            if json {
                print(try JSONText.encode(summary))
            } else {
                print("\(file): \(summary.rows) rows, \(summary.added) added, \(summary.changed) changed, \(summary.unchanged) unchanged")
            }
        }
    }
}
