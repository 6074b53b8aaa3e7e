import ArgumentParser
import EnforcementEngine
import Evidence
import Foundation

extension AbuseIngestCommand {
    struct Evidence: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "evidence", 
            abstract: "A case's signed evidence bundle, and its independent check.",
            subcommands: [Export.self, Verify.self]
        )

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "export", 
                abstract: "Write the signed evidence bundle of a case into a folder, or a .zip when --out ends in .zip.",
                discussion: """
                    The bundle holds manifest.json, excerpts/ (lines of the case's window read back from the \
                    archive, with index.jsonl), timeline.csv and timeline.svg, report.eml (ARF) and \
                    report.xarf.json (X-ARF v4), and signature. Exporting the same case twice gives \
                    byte-identical output: the bundle carries no export time. Recipient local parts are \
                    replaced by keyed pseudonyms unless --unredacted is given, which needs --by and is written \
                    to the case's audit log. Exit 0 written, 1 the case or its evidence cannot be read, 2 usage.
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
                    guard let by, !by.trimmingCharacters(in: .whitespaces).isEmpty, by.count <= 100, by != CasePlanner.engine else {
                        throw ValidationError("--unredacted needs --by naming a person (1–100 characters, not 'engine'): it is written to the audit log")
                    }
                }
            }

            func run() throws {
                let enforcement = try global.enforcement()
                let key = try RegistryKey.loadOrCreate(dataFolder: global.dataFolder)
                let exporter = EvidenceExporter(store: enforcement.store, dataFolder: global.dataFolder, key: key)
                let redaction: EvidenceExporter.Redaction = unredacted ? .unredacted(by: by ?? "", reason: reason) : .pseudonymised
                let (bundle, path) = try exporter.export(
                    caseID: id, to: URL(fileURLWithPath: out), samplesPerReporter: samples, redaction: redaction, at: enforcement.clock.nowMillis())
                print("\(path.path): \(bundle.files.count + 2) files\(unredacted ? " (unredacted, audited)" : ""), signed by \(key.publicKeyBase64)")
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "verify", 
                abstract: "Check every hash and the signature of a bundle (and, with --archive, every excerpt); exit 0 only when all holds.",
                discussion: """
                    Without --public-key, the data folder's key is used when it has one; none is ever made. \
                    A bundle signed by another key fails; one whose key is unknown here is refused (exit 2) \
                    with the fingerprint its manifest names.
                    """)
            @OptionGroup var global: GlobalOptions
            @Option(name: .customLong("public-key"), help: "The registry's public key (base64, as `keys show` prints it); default: this data folder's key, when it has one.")
            var publicKey: String?
            @Option(help: "A data folder whose archive/ holds the shipped files: check each excerpt against them.") var archive: String?
            @Argument(help: "The bundle: a folder or a .zip.") var path: String

            func run() throws {
                let bundle = URL(fileURLWithPath: path)
                let verifier: EvidenceVerifier
                if let publicKey {
                    guard let verifying = EvidenceVerifier(publicKeyBase64: publicKey, archiveFolder: archive.map { URL(fileURLWithPath: $0) }) else {
                        throw ValidationError("--public-key is not a base64 Ed25519 public key")
                    }
                    verifier = verifying
                } else if let own = try RegistryKey.load(dataFolder: global.dataFolder) {
                    verifier = EvidenceVerifier(publicKey: own.privateKey.publicKey, archiveFolder: archive.map { URL(fileURLWithPath: $0) })
                } else {
                    // A third party's check: no key of ours exists here, and none is made.
                    let named = (try? EvidenceVerifier.signingKey(of: bundle)).flatMap { $0 }
                    Terminal.reportError(
                        "no public key to check the signature with: \(named.map { "the bundle was signed by the key \($0)" } ?? "the bundle names no signing key"); "
                            + "pass that key with --public-key BASE64 (the registry prints it with `abuse-ingest keys show`)")
                    throw ExitStatus.usage
                }
                let problems = verifier.verify(bundle)
                if problems.isEmpty {
                    print("\(path): every hash, the signature\(archive == nil ? "" : " and every excerpt") verified")
                    return
                }
                for problem in problems { Terminal.reportError("\(problem) (\(path))") }
                throw ExitStatus.failure
            }
        }
    }
}
