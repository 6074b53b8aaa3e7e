import ArgumentParser

extension AbuseIngestCommand {
    struct Registry: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "registry", 
            abstract: "The registry of registered e-mail servers: import, lookups, and its DNS zone.",
            subcommands: [Import.self, Lookup.self, ServeDNS.self, Export.self, DNSSEC.self]
        )
    }
}
