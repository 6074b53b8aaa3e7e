import Foundation
import Logging

/// The registry index kept in a file of the data folder (`cache/registry-index-<mark>.bin`),
/// named by the history it was built from (`RegistryStore.historyMark`). Every ingest and
/// evaluation needs the whole index; reading it from this file takes a fraction of the time
/// of reading the history rows, on PostgreSQL most of all, where the rows' decoding cost
/// each ingest process half a second for 100,000 networks. A new registry row changes the
/// mark, so a file is never used for another history; a damaged or unreadable one is ignored
/// and written again. Files are written whole under a temporary name and renamed, so
/// processes on several hosts may share the folder; older marks' files are removed.
public struct IndexCache: Sendable {
    public let folder: URL
    let logger: Logger

    public init(folder: URL, logger: Logger = Logger(label: "abuse-ingest.registry")) {
        self.folder = folder
        self.logger = logger
    }

    /// The cache folder of a data folder.
    public init(dataFolder: URL, logger: Logger = Logger(label: "abuse-ingest.registry")) {
        self.init(folder: dataFolder.appendingPathComponent("cache"), logger: logger)
    }

    /// The index of `store`'s registry as it stands: from the cache file when it holds this
    /// history, else from the database (and then kept in the cache for the next process).
    public func index(of store: RegistryStore) throws -> RegistrationIndex {
        guard let mark = try store.historyMark(), mark.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return try store.loadIndex()
        }
        let file = self.file(mark)
        if let cached = read(file, mark: mark) { return cached }
        let index = try store.loadIndex()
        // Kept only when no row came meanwhile: the index must be the mark's, not a newer one.
        if try store.historyMark() == mark { write(index, mark: mark, to: file) }
        return index
    }

    func file(_ mark: String) -> URL { folder.appendingPathComponent("registry-index-\(mark).bin") }

    private func read(_ file: URL, mark: String) -> RegistrationIndex? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        do {
            return try data.withUnsafeBytes { bytes throws(RegistrationIndex.ArchiveError) in try RegistrationIndex(archived: bytes, mark: mark) }
        } catch {
            logger.warning("the registry index cache is ignored and made again", metadata: ["file": "\(file.path)", "error": "\(error)"])
            return nil
        }
    }

    private func write(_ index: RegistrationIndex, mark: String, to file: URL) {
        let fm = FileManager.default
        let temporary = folder.appendingPathComponent(".registry-index-\(mark)-\(UUID().uuidString).tmp")
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(index.archived(mark: mark)).write(to: temporary)
            // Replaces a damaged file of the same name at once (rename(2) is atomic).
            guard rename(temporary.path, file.path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path]) }
        } catch {
            try? fm.removeItem(at: temporary)
            logger.notice("cannot keep the registry index in the cache (the next process reads the database again)", metadata: ["error": "\(error)"])
            return
        }
        // Older histories' files are of no further use, nor are the temporary files of
        // writers killed an hour ago or more.
        for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] where name != file.lastPathComponent {
            let path = folder.appendingPathComponent(name)
            if name.hasPrefix("registry-index-") {
                try? fm.removeItem(at: path)
            } else if name.hasPrefix(".registry-index-"), let modified = (try? fm.attributesOfItem(atPath: path.path))?[.modificationDate] as? Date,
                modified.timeIntervalSinceNow < -3600
            {
                try? fm.removeItem(at: path)
            }
        }
    }
}
