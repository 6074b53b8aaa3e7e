import GRDB

/// Opens a store's SQLite file read-only, to look at what the commands wrote.
public enum StoreDatabases {
    public static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: path, configuration: configuration)
    }
}
