import ArgumentParser
import Foundation
import RegistryClient

extension AbuseIngestCommand.Registry {
    struct DNSSEC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dnssec",
            abstract: "The zone's DNSSEC key: make one, and print the DS record for the parent zone.",
            discussion: """
                serve-dns --dnssec-key FILE (dnssec_key in serve's config) signs the answers with it: a DNSKEY \
                at the apex, an RRSIG on every RRset, and compact denial of existence (RFC 9824) for names \
                and types that do not exist.
                """,
            subcommands: [Keygen.self, DS.self])

        /// `keys/dnssec.key` in the data folder.
        static func defaultPath(_ global: GlobalOptions) -> String { global.dataFolder.appendingPathComponent("keys/dnssec.key").path }

        struct Keygen: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "keygen", 
                abstract: "Make a signing key for the zone (one key, flags 257) and write it to a new file (mode 0600).",
                discussion: "Prints the DNSKEY and the DS record. Exit 1 when the file exists (a key is never overwritten).")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The zone the key signs, e.g. reg.example.org (written into the file; without it the server binds the key to the zone it serves).")
            var zone: String?
            @Option(help: "13 (ECDSAP256SHA256, the default) or 15 (ED25519).") var algorithm: String = "13"
            @Option(help: "The key file to write (default keys/dnssec.key in the data folder).") var out: String?
            @Flag(help: "Print the key's records as JSON.") var json = false

            func validate() throws {
                if let zone { guard let name = DNSName(zone), !name.labels.isEmpty else { throw ValidationError("--zone '\(zone)' is not a domain name") } }
                guard DNSSECKey.Algorithm(text: algorithm) != nil else { throw ValidationError("--algorithm must be 13 (ECDSAP256SHA256) or 15 (ED25519)") }
            }

            func run() throws {
                let path = out ?? DNSSEC.defaultPath(global)
                guard !FileManager.default.fileExists(atPath: path) else {
                    Terminal.reportError("\(path) exists: a key is never overwritten (move it away first)")
                    throw ExitStatus.failure
                }
                let key = DNSSECKey(zone: zone.flatMap(DNSName.init), algorithm: DNSSECKey.Algorithm(text: algorithm)!)
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: path, contents: Data(key.fileText.utf8), attributes: [.posixPermissions: 0o600]) else {
                    Terminal.reportError("cannot write \(path)")
                    throw ExitStatus.failure
                }
                DS.show(key, path: path, json: json)
            }
        }

        struct DS: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "ds",
                abstract: "Print the DS record (SHA-256) for the parent zone, and the key's DNSKEY.",
                discussion: "Exit 1 when the key file cannot be read.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The key file (default keys/dnssec.key in the data folder).") var key: String?
            @Option(help: "The zone, when the key's file names none (it must match when it does).") var zone: String?
            @Flag(help: "Print as JSON.") var json = false

            func validate() throws {
                if let zone { guard let name = DNSName(zone), !name.labels.isEmpty else { throw ValidationError("--zone '\(zone)' is not a domain name") } }
            }

            func run() throws {
                let path = key ?? DNSSEC.defaultPath(global)
                var loaded: DNSSECKey
                do {
                    loaded = try DNSSECKey.load(path: path)
                } catch {
                    Terminal.reportError(error.description)
                    throw ExitStatus.failure
                }
                if let zone = zone.flatMap(DNSName.init) {
                    guard let bound = loaded.bound(to: zone) else {
                        Terminal.reportError("\(path) is a key for \(loaded.zone), not \(zone)")
                        throw ExitStatus.failure
                    }
                    loaded = bound
                }
                guard loaded.namesZone else {
                    Terminal.reportError("\(path) names no zone: give it with --zone (the DS record is computed over the zone's name)")
                    throw ExitStatus.usage
                }
                Self.show(loaded, path: path, json: json)
            }

            static func show(_ key: DNSSECKey, path: String, json: Bool) {
                guard key.namesZone else {
                    let data = "3 \(key.algorithm.rawValue) \(Data(key.publicKey).base64EncodedString())"
                    if json {
                        let object: [String: Any] = ["zone": NSNull(), "key_file": path, "algorithm": Int(key.algorithm.rawValue), "key_tag": Int(key.keyTag), "dnskey": "DNSKEY \(DNSSECKey.flags) \(data)", "ds": NSNull()]
                        print(String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                    } else {
                        print("; \(path): key tag \(key.keyTag), algorithm \(key.algorithm.rawValue) (\(key.algorithm.mnemonic)), no zone named")
                        print("DNSKEY \(DNSSECKey.flags) \(data)")
                        print("; the DS record: abuse-ingest registry dnssec ds --key \(path) --zone ZONE")
                    }
                    return
                }
                if json {
                    let object: [String: Any] = [
                        "zone": key.zone.description, "key_file": path, "algorithm": Int(key.algorithm.rawValue), "key_tag": Int(key.keyTag),
                        "dnskey": key.dnskeyText(ttl: 3600), "ds": key.dsText,
                    ]
                    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print("; \(path): key tag \(key.keyTag), algorithm \(key.algorithm.rawValue) (\(key.algorithm.mnemonic))")
                    print(key.dnskeyText(ttl: 3600))
                    print(key.dsText)
                }
            }
        }
    }
}
