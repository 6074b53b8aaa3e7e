/// Staff decisions on a case and what each does: a pure state machine, the caller writes.
public enum CaseDecision: String, Sendable, CaseIterable {
    case approve, dismiss, reinstate

    public struct Outcome: Sendable, Equatable {
        public var to: EnforcementCase.Status
        /// The registration status to record (nil: the registration does not change).
        public var registration: Registration?

        public enum Registration: Sendable, Equatable {
            /// Keep it suspended, no longer provisional.
            case confirmSuspension
            /// Back to what it was before the engine suspended it.
            case restorePrior
        }
    }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case notAllowed(decision: String, from: String)

        public var description: String {
            switch self {
            case .notAllowed(let decision, let from): "a case that is \(from) cannot be given '\(decision)'"
            }
        }
    }

    /// What `self` does to a case in `status` that took `action`.
    public func outcome(from status: EnforcementCase.Status, suspended: Bool) throws(Refusal) -> Outcome {
        switch (self, status) {
        case (.approve, .suspended): return Outcome(to: .confirmed, registration: .confirmSuspension)
        case (.approve, .open): return Outcome(to: .confirmed, registration: nil)
        case (.dismiss, .open): return Outcome(to: .dismissed, registration: nil)
        case (.dismiss, .suspended): return Outcome(to: .dismissed, registration: .restorePrior)
        case (.reinstate, .suspended): return Outcome(to: .reinstated, registration: .restorePrior)
        // A confirmed case can be reinstated only when it had suspended the registration.
        case (.reinstate, .confirmed) where suspended: return Outcome(to: .reinstated, registration: .restorePrior)
        default: throw .notAllowed(decision: rawValue, from: status.rawValue)
        }
    }
}
