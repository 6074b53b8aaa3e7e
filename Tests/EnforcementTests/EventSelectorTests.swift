import EnforcementEngine
import LogParsers
import Testing

struct EventSelectorTests {
    @Test func parsesKindAndReason() throws {
        let selector = try EventSelector(parsing: "rejected.unknown_recipient")
        #expect(selector.kind == .rejected)
        #expect(selector.reason == .unknownRecipient)
        #expect(selector.matches(kind: .rejected, reason: .unknownRecipient))
        #expect(!selector.matches(kind: .rejected, reason: .rbl))
        #expect(!selector.matches(kind: .deferred, reason: .unknownRecipient))
    }

    @Test func bareKindMatchesEveryReason() throws {
        let selector = try EventSelector(parsing: "rejected")
        #expect(selector.matches(kind: .rejected, reason: .rbl))
        #expect(selector.matches(kind: .rejected, reason: nil))
        #expect(!selector.matches(kind: .connect, reason: nil))
    }

    @Test func rejectsUnknownNames() {
        #expect(throws: EventSelector.ParseError.unknownKind("rejectd")) { try EventSelector(parsing: "rejectd.rbl") }
        #expect(throws: EventSelector.ParseError.unknownReason("spam")) { try EventSelector(parsing: "rejected.spam") }
        #expect(throws: EventSelector.ParseError.reasonNotAllowed("connect.rbl")) { try EventSelector(parsing: "connect.rbl") }
    }
}
