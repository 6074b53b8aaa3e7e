import Foundation
import RegistryClient
import TestSupport

/// The standard secondaries from Debian the zone transfer tests run: NSD, Knot and BIND,
/// each configured as a secondary of the primary under test.
extension ZoneTransferTests {
    /// The other standard secondaries from Debian, configured to take NOTIFY from the primary.
    enum Secondary: String, CaseIterable, Sendable {
        case knot, bind

        var program: (name: String, package: String) { self == .knot ? ("knotd", "knot") : ("named", "bind9") }

        /// The configuration file's text and the arguments that run it in the foreground.
        func configuration(folder: String, port: Int, primary: Int) -> (text: String, arguments: [String]) {
            switch self {
            case .knot:
                let text = """
                    server:
                        listen: 127.0.0.1@\(port)
                        rundir: "\(folder)"
                        user: root:root
                    log:
                      - target: stderr
                        any: info
                    database:
                        storage: "\(folder)"
                    key:
                      - id: xfr.reg.example.org
                        algorithm: hmac-sha256
                        secret: \(ZoneTransferTests.secret)
                    remote:
                      - id: primary
                        address: 127.0.0.1@\(primary)
                        key: xfr.reg.example.org
                    acl:
                      - id: from-primary
                        address: 127.0.0.1
                        key: xfr.reg.example.org
                        action: notify
                    template:
                      - id: default
                        storage: "\(folder)"
                        zonefile-sync: -1
                        zonefile-load: none
                        journal-content: none
                    zone:
                      - domain: reg.example.org
                        master: primary
                        acl: from-primary

                    """
                return (text, ["-c", folder + "/secondary.conf"])
            case .bind:
                let text = """
                    options {
                        directory "\(folder)";
                        pid-file "\(folder)/named.pid";
                        listen-on port \(port) { 127.0.0.1; };
                        listen-on-v6 { none; };
                        recursion no;
                        dnssec-validation no;
                        allow-notify { 127.0.0.1; };
                        notify no;
                    };
                    controls { };
                    \(ZoneTransferTests.key.fileText)
                    zone "reg.example.org" {
                        type secondary;
                        primaries port \(primary) { 127.0.0.1 key "xfr.reg.example.org"; };
                        file "reg.example.org.db";
                    };

                    """
                return (text, ["-g", "-c", folder + "/secondary.conf"])
            }
        }
    }

    /// NSD as a secondary of the primary on `primary` (`request` AXFR, or IXFR when empty),
    /// listening on `port`, taking NOTIFY from 127.0.0.1; transfers and NOTIFY signed with
    /// `key` when given.
    static func startNSD(folder: URL, port: Int, primary: Int, program: String, request: String, key: TSIGKey? = nil) throws -> Process {
        let keyName = key.map { String($0.name.description.dropLast()) } ?? "NOKEY"
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = """
            server:
                ip-address: 127.0.0.1@\(port)
                database: ""
                zonelistfile: "\(folder.path)/zone.list"
                xfrdfile: "\(folder.path)/xfrd.state"
                xfrdir: "\(folder.path)"
                pidfile: "\(folder.path)/nsd.pid"
                logfile: "\(folder.path)/nsd.log"
                zonesdir: "\(folder.path)"
                username: ""
                chroot: ""
                verbosity: 2
            remote-control:
                control-enable: no
            \(key == nil ? "" : "key:\n    name: \(keyName)\n    algorithm: hmac-sha256\n    secret: \"\(Data(key!.secret).base64EncodedString())\"")
            zone:
                name: "reg.example.org"
                zonefile: "reg.example.org.zone"
                request-xfr: \(request.isEmpty ? "" : request + " ")127.0.0.1@\(primary) \(keyName)
                allow-notify: 127.0.0.1 \(keyName)

            """
        let configFile = folder.appendingPathComponent("nsd.conf")
        try Data(config.utf8).write(to: configFile)
        let nsd = Process()
        nsd.executableURL = URL(fileURLWithPath: program)
        nsd.arguments = ["-d", "-c", configFile.path]
        nsd.standardOutput = FileHandle.nullDevice
        nsd.standardError = FileHandle.nullDevice
        try nsd.run()
        return nsd
    }
}
