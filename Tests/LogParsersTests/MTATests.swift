import Testing

@testable import LogParsers

struct MTATests {
    @Test func indexIsThePositionInAllCases() {
        for (position, mta) in MTA.allCases.enumerated() { #expect(mta.index == position, "\(mta)") }
    }
}
