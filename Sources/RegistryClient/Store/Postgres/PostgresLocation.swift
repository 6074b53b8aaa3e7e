import Foundation

/// Where a PostgreSQL database is, from a `--db` value in libpq's URL form:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require]`, or a Unix
/// socket folder as `postgres://USER@/DATABASE?host=/var/run/postgresql`. The password may
/// also come from `PGPASSWORD`, so that it stays out of `ps`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        /// Plain TCP (a local server, or a network the operator trusts).
        case disable
        /// TLS with the server's certificate checked against the system's trust store.
        case require
    }

    public var user: String
    public var password: String?
    /// A host name or address, or a Unix socket folder (starts with `/`).
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isLocation(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(user: String, password: String? = nil, host: String, port: Int = 5432, database: String, tls: TLSMode = .disable) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.tls = tls
    }

    /// Parses a `postgres://` URL; the error says which part is wrong.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresError) {
        guard Self.isLocation(text), let url = URLComponents(string: text) else {
            throw .badLocation(text, "expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        let shown = Self.redacted(text)
        guard let user = url.user, !user.isEmpty else { throw .badLocation(shown, "no user name (postgres://USER@HOST/DATABASE)") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw .badLocation(shown, "no database name after the host") }
        var host = url.host ?? ""
        var tls = TLSMode.disable
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw .badLocation(shown, "sslmode must be disable or require")
                }
                tls = mode
            case "host":
                host = item.value ?? ""
            default:
                throw .badLocation(shown, "unknown parameter '\(item.name)' (known: sslmode, host)")
            }
        }
        guard !host.isEmpty else { throw .badLocation(shown, "no host (give one, or ?host=/socket/folder)") }
        self.init(
            user: user.removingPercentEncoding ?? user, password: url.password?.removingPercentEncoding ?? environment["PGPASSWORD"], host: host,
            port: url.port ?? 5432, database: database.removingPercentEncoding ?? database, tls: tls)
    }

    /// The URL without its password (for messages and logs).
    public var description: String {
        let place = host.hasPrefix("/") ? "/\(database)?host=\(host)" : "\(host):\(port)/\(database)"
        return "postgres://\(user)@\(place)\(tls == .require ? (host.hasPrefix("/") ? "&" : "?") + "sslmode=require" : "")"
    }

    /// `text` with any password replaced by `***`.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "postgres://…"
    }
}
