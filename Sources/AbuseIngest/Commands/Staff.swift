import ArgumentParser
import Foundation
import Primitives
import RegistryServer

extension AbuseIngestCommand {
    struct Staff: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "staff", 
            abstract: "Accounts of the staff who review cases in serve's web UI.",
            discussion: """
                Passwords are hashed with bcrypt (cost 12); admins log in with a TOTP code as well (RFC 6238, \
                any authenticator app). Five failed logins in a row lock an account for 15 minutes. Every \
                change is in the service audit log.
                """,
            subcommands: [Add.self, List.self, Disable.self, ResetPassword.self, TOTP.self]
        )

        /// A password from standard input when it is not a terminal and holds one; nil:
        /// generate one.
        static func passwordFromStandardInput() -> String? {
            guard isatty(STDIN_FILENO) == 0 else { return nil }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            let text = String(decoding: data.prefix(4096), as: UTF8.self)
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) } ?? ""
            return line.isEmpty ? nil : line
        }

        static func accounts(_ global: GlobalOptions) throws -> StaffAccounts {
            StaffAccounts(store: try ServiceStore(engine: global.engineStore()))
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", 
                abstract: "Add a staff member. The password is read from standard input, or generated and printed once.",
                discussion: "An admin gets two-factor at once: the otpauth:// URI to enrol is printed (once) as the last line.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The name (letters, digits, '.', '_', '-', '@'; at most 64).") var name: String
            @Option(help: "reviewer or admin.") var role: StaffMember.Role

            func run() throws {
                let accounts = try Staff.accounts(global)
                let password = Staff.passwordFromStandardInput()
                let added = try Failure.usage {
                    try accounts.add(name: name, role: role, password: password, by: Actor.current, now: WallClock.system.nowMillis())
                }
                Terminal.error("abuse-ingest: added \(name) (\(role.rawValue))")
                if let generated = added.generatedPassword {
                    Terminal.error("abuse-ingest: generated password, shown only now:")
                    print(generated)
                }
                if let uri = added.totpURI {
                    Terminal.error("abuse-ingest: two-factor enrolment for an authenticator app, shown only now:")
                    print(uri)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the staff (names, roles, two-factor, state; never secrets).")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print a JSON array.") var json = false

            func run() throws {
                let store = try ServiceStore(engine: global.engineStore())
                let now = WallClock.system.nowMillis()
                let rows = try store.staff().map { StaffDocument($0, now: now) }
                if json {
                    print(try JSONText.encode(rows))
                    return
                }
                if rows.isEmpty { print("no staff (add one with: abuse-ingest staff add NAME --role admin)") }
                for r in rows {
                    let state = r.disabled.map { "disabled \($0)" } ?? r.lockedUntil.map { "locked until \($0)" } ?? "active"
                    print("\(r.name)\t\(r.role.rawValue)\ttotp \(r.totp ? "on" : "off")\t\(state)\tcreated \(r.created)")
                }
            }
        }

        struct Disable: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an account: its sessions end and it cannot log in.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The staff member.") var name: String

            func run() throws {
                let accounts = try Staff.accounts(global)
                try Failure.usage { try accounts.disable(name: name, by: Actor.current, now: WallClock.system.nowMillis()) }
                print("\(name) disabled")
            }
        }

        struct ResetPassword: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "reset-password",
                abstract: "Set a new password (from standard input, or generated and printed once); ends sessions and lifts a lock.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The staff member.") var name: String

            func run() throws {
                let accounts = try Staff.accounts(global)
                let password = Staff.passwordFromStandardInput()
                let generated = try Failure.usage {
                    try accounts.resetPassword(name: name, password: password, by: Actor.current, now: WallClock.system.nowMillis())
                }
                Terminal.error("abuse-ingest: new password for \(name)\(generated == nil ? " set" : ", shown only now:")")
                if let generated { print(generated) }
            }
        }

        struct TOTP: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "totp", abstract: "Two-factor (TOTP) for an account.", subcommands: [Enable.self])

            struct Enable: ParsableCommand {
                static let configuration = CommandConfiguration(commandName: "enable", 
                    abstract: "Give an account a new TOTP secret; prints the otpauth:// URI (once). Its sessions end.")
                @OptionGroup var global: GlobalOptions
                @Argument(help: "The staff member.") var name: String

                func run() throws {
                    let accounts = try Staff.accounts(global)
                    let uri = try Failure.usage { try accounts.enableTOTP(name: name, by: Actor.current, now: WallClock.system.nowMillis()) }
                    Terminal.error("abuse-ingest: two-factor enrolment for \(name), shown only now:")
                    print(uri)
                }
            }
        }
    }
}

extension StaffMember.Role: ExpressibleByArgument {}
