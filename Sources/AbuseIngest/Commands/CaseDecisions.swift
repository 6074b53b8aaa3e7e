import ArgumentParser
import EnforcementEngine

extension AbuseIngestCommand.Cases {
    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "approve", abstract: "Confirm a case (a provisional suspension becomes final).")
        @OptionGroup var decision: DecisionOptions
        func run() throws { try decision.apply(.approve) }
    }

    struct Dismiss: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dismiss", abstract: "Dismiss a case (a provisional suspension is lifted: the prior status is restored).")
        @OptionGroup var decision: DecisionOptions
        func run() throws { try decision.apply(.dismiss) }
    }

    struct Reinstate: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reinstate", abstract: "Reinstate a suspended server (its prior status is restored).")
        @OptionGroup var decision: DecisionOptions
        func run() throws { try decision.apply(.reinstate) }
    }
}

/// Who decides what about which case, as `cases approve|dismiss|reinstate` take it.
struct DecisionOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(help: "Who decides (staff name, in the audit log).") var by: String
    @Option(help: "Why (in the audit log).") var reason: String
    @Argument(help: "Case id.") var id: String

    func validate() throws {
        guard !by.trimmingCharacters(in: .whitespaces).isEmpty, by.count <= 100, by != CasePlanner.engine else {
            throw ValidationError("--by must name a person (1–100 characters, not '\(CasePlanner.engine)')")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 2000 else { throw ValidationError("--reason must say why (1–2000 characters)") }
    }

    func apply(_ decision: CaseDecision) throws {
        let item = try global.enforcement().decide(decision, caseID: id, by: by, reason: reason)
        print("\(item.id): \(item.status.rawValue)")
    }
}
