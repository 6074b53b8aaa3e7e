import Synchronization

/// Uploads in flight: per reporter (limited) and per name (one at a time).
final class UploadSlots: Sendable {
    private struct State {
        var perReporter: [String: Int] = [:]
        var names: Set<String> = []
        var total = 0
    }
    private let state = Mutex(State())

    enum Refusal: Error { case tooMany, nameBusy }

    /// Takes a slot for `reporter` and the name, or says why not.
    func acquire(reporter: String, name: String, limit: Int) throws(Refusal) {
        let key = reporter + "/" + name
        try state.withLock { (s: inout State) throws(Refusal) in
            if s.perReporter[reporter, default: 0] >= limit { throw .tooMany }
            if s.names.contains(key) { throw .nameBusy }
            s.perReporter[reporter, default: 0] += 1
            s.names.insert(key)
            s.total += 1
        }
    }

    func release(reporter: String, name: String) {
        state.withLock { s in
            s.perReporter[reporter, default: 1] -= 1
            if s.perReporter[reporter] == 0 { s.perReporter[reporter] = nil }
            s.names.remove(reporter + "/" + name)
            s.total -= 1
        }
    }

    /// Uploads in flight now.
    var inFlight: Int { state.withLock { $0.total } }
}
