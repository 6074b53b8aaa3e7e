import Foundation
import Glibc

/// Something a test needs that this machine lacks: the test fails with what to install
/// (`scripts/test` installs all of it). Tests never pass by skipping.
public struct MissingRequirement: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// What tests need from the machine: programs of Debian packages, Python modules, and the
/// shared material beside the repository.
public enum Requirement {
    /// The full path of `program` on the PATH; throws, naming the Debian package, when it
    /// is missing.
    @discardableResult
    public static func program(_ program: String, debianPackage: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw MissingRequirement("\(program) is not installed: apt-get install \(debianPackage) (scripts/test installs every test requirement)")
    }

    /// What `serve-dns --xdp lo` needs: root (an XDP program and AF_XDP sockets), and the
    /// loopback settings under which answers that enter the kernel without a route are
    /// accepted (`scripts/test` sets them).
    public static func xdpOnLoopback() throws {
        guard geteuid() == 0 else {
            throw MissingRequirement("AF_XDP needs root (CAP_NET_ADMIN and CAP_BPF): run the tests as root, as scripts/test under CI does")
        }
        for setting in ["route_localnet", "accept_local"] {
            let path = "/proc/sys/net/ipv4/conf/lo/\(setting)"
            let value = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            guard value == "1" else {
                throw MissingRequirement("net.ipv4.conf.lo.\(setting) is \(value ?? "unreadable"), not 1: sysctl -w net.ipv4.conf.lo.\(setting)=1 (scripts/test sets it)")
            }
        }
    }

    /// Python 3 with `modules` importable; returns the interpreter's path.
    @discardableResult
    public static func python(modules: [String] = [], pipPackage: String? = nil) throws -> String {
        let python = try program("python3", debianPackage: "python3")
        guard !modules.isEmpty else { return python }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import " + modules.joined(separator: ", ")]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else {
            throw MissingRequirement(
                "Python modules \(modules.joined(separator: ", ")) are missing: python3 -m pip install '\(pipPackage ?? modules[0])' (scripts/test installs them)")
        }
        return python
    }

    /// `../shared` beside the repository, or `$ABUSE_INGEST_SHARED`.
    public static var sharedFolder: URL {
        ProcessInfo.processInfo.environment["ABUSE_INGEST_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? CommandRunner.repository.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// A file or folder of the shared material; throws when it is absent.
    public static func shared(_ relative: String) throws -> URL {
        let url = sharedFolder.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingRequirement("\(url.path) is absent: the shared material belongs beside the repository (../shared) or under $ABUSE_INGEST_SHARED")
        }
        return url
    }
}

extension Requirement {
    /// Runs `program` (a path, as `program(_:debianPackage:)` returns) and returns its
    /// standard output as text.
    public static func output(of program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
