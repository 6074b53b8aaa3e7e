import ArgumentParser
import Evidence

extension AbuseIngestCommand {
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "keys", abstract: "The registry's signing key.", subcommands: [Show.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", 
                abstract: "Print the registry's Ed25519 public key (base64, last line) and its fingerprint.",
                discussion: "The keys are created by the first evidence export (or the demo); this command never creates them. Exit 1 when there are none yet.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let folder = global.dataFolder.appendingPathComponent("keys").path
                guard let key = try RegistryKey.load(dataFolder: global.dataFolder) else {
                    Terminal.reportError("no registry key in \(folder) yet: the first `abuse-ingest evidence export` creates it")
                    throw ExitStatus.failure
                }
                print("registry Ed25519 public key (\(folder)), fingerprint \(key.fingerprint):")
                print(key.publicKeyBase64)
            }
        }
    }
}
