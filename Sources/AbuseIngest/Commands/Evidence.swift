import ArgumentParser
import Crypto
import EnforcementEngine
import Evidence
import Foundation

extension AbuseIngestCommand {
    struct Evidence: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A case's signed evidence bundle, and its independent check.",
            subcommands: [Export.self, Verify.self]
        )

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the signed evidence bundle of a case into a folder, or a .zip when --out ends in .zip.",
                discussion: """
                    The bundle holds manifest.json, excerpts/ (lines read back from the archive, with \
                    index.jsonl), timeline.csv and timeline.svg, report.eml (ARF) and report.xarf.json \
                    (X-ARF v4), and signature. Exporting the same case twice gives byte-identical output: \
                    the bundle carries no export time. Recipient local parts are replaced by keyed \
                    pseudonyms unless --unredacted is given, which needs --by and is written to the \
                    case's audit log. Exit 0 written, 1 the case or its evidence cannot be read, 2 usage.
                    """
            )
            @OptionGroup var global: GlobalOptions
            @Option(help: "The bundle folder or a file ending in .zip; an existing folder that is no bundle gets the bundle in a folder named after the case.")
            var out: String
            @Option(name: .customLong("samples-per-reporter"), help: "Excerpt lines per reporter (1–1000).") var samples = 20
            @Flag(help: "Keep recipient addresses as logged (an admin's choice, audited).") var unredacted = false
            @Option(help: "Who exports unredacted (name in the audit log); required with --unredacted.") var by: String?
            @Option(help: "Why the unredacted export is needed (audit log).") var reason = "unredacted evidence export"
            @Argument(help: "Case id.") var id: String

            func validate() throws {
                guard (1...1000).contains(samples) else { throw ValidationError("--samples-per-reporter must be between 1 and 1000") }
                if unredacted {
                    guard let by, !by.trimmingCharacters(in: .whitespaces).isEmpty, by.count <= 100, by != "engine" else {
                        throw ValidationError("--unredacted needs --by naming a person (1–100 characters, not 'engine'): it is written to the audit log")
                    }
                }
            }

            func run() throws {
                let store = try global.engineStore()
                let key = try RegistryKey.loadOrCreate(dataFolder: global.dataFolder)
                let exporter = EvidenceExporter(store: store, dataFolder: global.dataFolder, key: key)
                do {
                    let bundle = try exporter.bundle(caseID: id, samplesPerReporter: samples, redacted: !unredacted)
                    if unredacted, let by { try store.recordUnredactedExport(caseID: id, by: by, reason: reason, at: Clock.nowMillis()) }
                    let destination = EvidenceBundle.destination(for: URL(fileURLWithPath: out), caseID: id)
                    try bundle.write(to: destination)
                    print("\(destination.path): \(bundle.files.count + 2) files\(unredacted ? " (unredacted, audited)" : ""), signed by \(key.publicKeyBase64)")
                } catch let error as EvidenceExporter.ExportError {
                    Terminal.reportError(error.description)
                    throw ExitStatus.failure
                } catch let error as EvidenceBundle.BundleError {
                    Terminal.reportError(error.description)
                    throw ExitStatus.failure
                }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check every hash and the signature of a bundle (and, with --archive, every excerpt); exit 0 only when all holds.")
            @OptionGroup var global: GlobalOptions
            @Option(name: .customLong("public-key"), help: "The registry's public key (base64, as `keys show` prints it); default: this data folder's key, when it has one.")
            var publicKey: String?
            @Option(help: "A data folder whose archive/ holds the shipped files: check each excerpt against them.") var archive: String?
            @Argument(help: "The bundle: a folder or a .zip.") var path: String

            func run() throws {
                let bundle = URL(fileURLWithPath: path)
                let parsed: Curve25519.Signing.PublicKey
                if let publicKey {
                    guard let key = RegistryKey.publicKey(base64: publicKey) else {
                        Terminal.reportError("--public-key is not a base64 Ed25519 public key")
                        throw ExitStatus.usage
                    }
                    parsed = key
                } else if let own = try RegistryKey.load(dataFolder: global.dataFolder) {
                    parsed = own.privateKey.publicKey
                } else {
                    // A third party's check: no key of ours exists here, and none is made.
                    let named = (try? EvidenceVerifier.signingKey(of: bundle)).flatMap { $0 }
                    Terminal.reportError(
                        "no public key to check the signature with: \(named.map { "the bundle was signed by the key \($0)" } ?? "the bundle names no signing key"); "
                            + "pass that key with --public-key BASE64 (the registry prints it with `abuse-ingest keys show`)")
                    throw ExitStatus.usage
                }
                let problems = EvidenceVerifier(publicKey: parsed, archiveFolder: archive.map { URL(fileURLWithPath: $0) }).verify(bundle)
                if problems.isEmpty {
                    print("\(path): every hash, the signature\(archive == nil ? "" : " and every excerpt") verified")
                    return
                }
                for problem in problems { Terminal.reportError("\(problem) (\(path))") }
                throw ExitStatus.failure
            }
        }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The registry's signing key.", subcommands: [Show.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the registry's Ed25519 public key (base64, last line) and its fingerprint.",
                discussion: "The keys are created by the first evidence export (or the demo); this command never creates them. Exit 1 when there are none yet.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                guard let key = try RegistryKey.load(dataFolder: global.dataFolder) else {
                    Terminal.reportError("no registry key in \(global.dataFolder.appendingPathComponent("keys").path) yet: the first `abuse-ingest evidence export` creates it")
                    throw ExitStatus.failure
                }
                print("registry Ed25519 public key (\(global.dataFolder.appendingPathComponent("keys").path)), fingerprint \(key.fingerprint):")
                print(key.publicKeyBase64)
            }
        }
    }
}
