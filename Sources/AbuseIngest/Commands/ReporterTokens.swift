import ArgumentParser
import Foundation
import Primitives
import RegistryServer

extension AbuseIngestCommand.Reporters {
    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "token", 
            abstract: "Reporters' upload tokens for serve's HTTP intake (Authorization: Bearer <token>).",
            discussion: """
                A token is 256 random bits; only its SHA-256 is stored, so a lost token cannot be shown \
                again: create a new one and revoke the old. Every token action is in the service audit log.
                """,
            subcommands: [Create.self, List.self, Revoke.self]
        )

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token for a reporter; prints it once, as the last line.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The reporter.") var id: String
            @Option(help: "When the token stops working: an ISO 8601 time, or a duration from now (90d, 12h).") var expires: String?

            func validate() throws {
                if let expires, Self.expiry(expires, now: 0) == nil { throw ValidationError("--expires '\(expires)' is neither an ISO 8601 time nor a duration like 90d") }
            }

            static func expiry(_ text: String, now: Int64) -> Int64? {
                if let time = ISOTime.parse(text) { return time }
                let units: [Character: Int64] = ["d": 86_400_000, "h": 3_600_000, "m": 60_000]
                guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count > 0, count < 100_000 else { return nil }
                return now + count * unit
            }

            func run() throws {
                let store = try ServiceStore(engine: global.engineStore())
                let now = WallClock.system.nowMillis()
                let (record, text) = try Failure.usage { try store.createToken(reporter: id, expires: expires.flatMap { Self.expiry($0, now: now) }, by: Actor.current, now: now) }
                Terminal.error(
                    "abuse-ingest: token \(record.id) for \(id)\(record.expiresAt.map { ", expires \(ISOTime.format(millis: $0, fraction: false))" } ?? ""); it is shown only now:")
                print(text)
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List a reporter's tokens (ids and states, never the tokens).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The reporter.") var id: String
            @Flag(help: "Print a JSON array.") var json = false

            struct Row: Encodable {
                var id: String
                var reporter: String
                var created: String
                var expires: String?
                var revoked: String?
                var state: String
            }

            func run() throws {
                let store = try ServiceStore(engine: global.engineStore())
                let now = WallClock.system.nowMillis()
                let tokens = try Failure.usage { try store.tokens(reporter: id) }
                let rows = tokens.map { t in
                    Row(
                        id: t.id, reporter: t.reporterID, created: ISOTime.format(millis: t.createdAt, fraction: false),
                        expires: t.expiresAt.map { ISOTime.format(millis: $0, fraction: false) }, revoked: t.revokedAt.map { ISOTime.format(millis: $0, fraction: false) },
                        state: t.state(at: now))
                }
                if json {
                    print(try JSONText.encode(rows))
                    return
                }
                for r in rows { print("\(r.id)\t\(r.state)\tcreated \(r.created)\(r.expires.map { "\texpires \($0)" } ?? "")\(r.revoked.map { "\trevoked \($0)" } ?? "")") }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token: the next request with it gets 401.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The reporter.") var id: String
            @Argument(help: "The token's id (tok_…, from 'reporters token list').") var tokenID: String

            func run() throws {
                let store = try ServiceStore(engine: global.engineStore())
                try Failure.usage { try store.revokeToken(reporter: id, id: tokenID, by: Actor.current, now: WallClock.system.nowMillis()) }
                print("token \(tokenID) of \(id) revoked")
            }
        }
    }
}

/// Who runs a command, for the audit log: `cli:<user>`.
enum Actor {
    static var current: String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return "cli:" + String(cString: name) }
        return "cli:uid\(geteuid())"
    }
}

extension Failure {
    /// Runs `body`; a `ServiceStore.Failure` (unknown reporter or token), a
    /// `ServiceStore.StaffFailure` (unknown or invalid account) or a weak password is a usage
    /// error.
    static func usage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as ServiceStore.Failure {
            Terminal.reportError(failure.description)
            throw ExitStatus.usage
        } catch let failure as ServiceStore.StaffFailure {
            Terminal.reportError(failure.description)
            throw ExitStatus.usage
        } catch let problem as StaffAccounts.PasswordProblem {
            Terminal.reportError(problem.description)
            throw ExitStatus.usage
        }
    }
}
