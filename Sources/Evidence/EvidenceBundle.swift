import Crypto
import EnforcementEngine
import Foundation
import LogParsers
import Primitives
import RegistryClient
import ZIPFoundation

/// A case's evidence bundle (FORMATS.md §6) as files in memory: name → bytes. Exporting the
/// same case twice gives the same bytes (no export time, sorted keys, fixed order), as a
/// folder or as a `.zip` of stored entries dated at the case's opening.
public struct EvidenceBundle: Sendable {
    /// Every file but `manifest.json` and `signature`.
    public var files: [String: Data]
    public var manifest: Data
    public var signature: Data
    /// The date of the zip entries (the case's opening time, UTC ms).
    public var date: Int64

    public static let manifestName = "manifest.json"
    public static let signatureName = "signature"

    /// Largest bundle file read back (excerpts are bounded; this bounds a hostile bundle).
    public static let maxFileSize = 64 << 20

    public struct BundleError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every file of the bundle, manifest and signature included, by name.
    public var allFiles: [String: Data] {
        files.merging([Self.manifestName: manifest, Self.signatureName: signature], uniquingKeysWith: { a, _ in a })
    }

    /// Writes the bundle to `path`: a zip when it ends in `.zip` (written whole, then moved
    /// into place), otherwise a folder holding exactly the bundle's files (built beside it,
    /// then swapped in: a reader never sees half a bundle, and files of an earlier export that
    /// the bundle no longer has do not linger).
    public func write(to path: URL) throws {
        if Self.isZip(path) {
            try zipData().write(to: path, options: .atomic)
            return
        }
        let fm = FileManager.default
        let parent = path.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(path.lastPathComponent).partial-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: staging) }
        for (name, data) in allFiles {
            let url = staging.appendingPathComponent(name)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        if fm.fileExists(atPath: path.path) {
            guard fm.fileExists(atPath: path.appendingPathComponent(Self.manifestName).path) else {
                throw BundleError(description: "\(path.path) exists and is not an evidence bundle: not replacing it")
            }
            let old = parent.appendingPathComponent(".\(path.lastPathComponent).old-\(UUID().uuidString)")
            try fm.moveItem(at: path, to: old)
            defer { try? fm.removeItem(at: old) }
            try fm.moveItem(at: staging, to: path)
        } else {
            try fm.moveItem(at: staging, to: path)
        }
    }

    /// Where `evidence export CASE --out PATH` writes: PATH itself when it ends in `.zip`, is
    /// new, or is this bundle's folder already; PATH/CASE when PATH is another folder (a
    /// folder of bundles, named after their cases).
    public static func destination(for path: URL, caseID: String) -> URL {
        var isFolder: ObjCBool = false
        let fm = FileManager.default
        guard !isZip(path), fm.fileExists(atPath: path.path, isDirectory: &isFolder), isFolder.boolValue,
            !fm.fileExists(atPath: path.appendingPathComponent(manifestName).path)
        else { return path }
        return path.appendingPathComponent(caseID)
    }

    /// The zip: entries in name order, stored, mode 0644, dated at the case's opening.
    public func zipData() throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        let date = Date(timeIntervalSince1970: TimeInterval(self.date / 1000))
        let files = allFiles
        for name in files.keys.sorted() {
            let data = files[name]!
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: date, permissions: 0o644, compressionMethod: .none) {
                position, size in data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let bytes = archive.data else { throw BundleError(description: "the zip could not be assembled in memory") }
        return bytes
    }

    static func isZip(_ path: URL) -> Bool { path.pathExtension.lowercased() == "zip" }

    /// Reads a bundle's files from a folder or a zip, by name (`excerpts/a.log`), each at
    /// most `maxFileSize` bytes.
    public static func readFiles(at path: URL) throws -> [String: Data] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isFolder) else { throw BundleError(description: "\(path.path) does not exist") }
        var files: [String: Data] = [:]
        if isFolder.boolValue {
            for name in folderFiles(path) {
                let url = path.appendingPathComponent(name)
                let size = (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
                guard size <= maxFileSize else { throw BundleError(description: "\(name) is larger than \(maxFileSize) bytes") }
                files[name] = FileManager.default.contents(atPath: url.path) ?? Data()
            }
            return files
        }
        let archive: Archive
        do {
            archive = try Archive(url: path, accessMode: .read)
        } catch {
            throw BundleError(description: "\(path.path) is neither a bundle folder nor a readable zip (\(error))")
        }
        for entry in archive where entry.type == .file {
            guard entry.uncompressedSize <= UInt64(maxFileSize) else { throw BundleError(description: "\(entry.path) is larger than \(maxFileSize) bytes") }
            guard !entry.path.hasPrefix("/"), !entry.path.split(separator: "/").contains("..") else {
                throw BundleError(description: "\(entry.path): a zip entry outside the bundle")
            }
            var data = Data()
            do {
                _ = try archive.extract(entry) { chunk in data.append(chunk) }
            } catch {
                throw BundleError(description: "\(entry.path): cannot be read from the zip (\(error))")
            }
            if files[entry.path] != nil { throw BundleError(description: "\(entry.path) is in the zip twice") }
            files[entry.path] = data
        }
        return files
    }

    /// Regular files under `folder`, as paths relative to it.
    static func folderFiles(_ folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var names: [String] = []
        let base = folder.standardizedFileURL.path
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            var path = url.standardizedFileURL.path
            if path.hasPrefix(base + "/") { path.removeFirst(base.count + 1) }
            names.append(path)
        }
        return names.sorted()
    }

    static func sha256(_ data: Data) -> String { Digest.sha256(data) }
}
