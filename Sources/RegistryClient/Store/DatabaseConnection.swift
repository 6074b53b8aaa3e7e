import Foundation
import GRDB

/// Opens the one SQLite file that holds everything (FORMATS.md §1: `--db PATH`, default
/// `./abuse-ingest.db`). WAL mode, so that readers (the DNS server, staff) never block the
/// writer. Each module applies its own named migrations on the pool it is given.
package enum DatabaseConnection {
    public enum OpenError: Error, CustomStringConvertible {
        case cannotCreateFolder(String, String)
        case cannotOpen(String, String)

        public var description: String {
            switch self {
            case .cannotCreateFolder(let path, let why): "cannot create the data folder \(path): \(why)"
            case .cannotOpen(let path, let why): "cannot open the database \(path): \(why)"
            }
        }
    }

    /// Opens (creating when absent) the database at `path`.
    package static func open(path: String, readonly: Bool = false) throws(OpenError) -> DatabasePool {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        if !readonly {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .cannotCreateFolder(folder, error.localizedDescription)
            }
        }
        var configuration = Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -16384")  // 16 MiB per connection
        }
        do {
            return try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .cannotOpen(path, "\(error)")
        }
    }

    /// The data folder: the folder that holds the database (archive, keys live beside it).
    public static func dataFolder(forDatabase path: String) -> URL {
        URL(fileURLWithPath: path).deletingLastPathComponent()
    }
}
