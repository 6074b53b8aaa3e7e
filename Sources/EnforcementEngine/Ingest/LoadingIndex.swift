import Dispatch
import RegistryClient
import Synchronization

/// The registration index, loaded on a thread of its own so that ingest reads its first
/// files meanwhile: events wait in the file aggregates until the index is there (`wait`).
public final class LoadingIndex: Sendable {
    private let result = Mutex<Result<RegistrationIndex, any Error>?>(nil)
    private let loaded = DispatchGroup()

    /// Starts `load` on another thread.
    public init(_ load: @escaping @Sendable () throws -> RegistrationIndex) {
        loaded.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let outcome = Result { try load() }
            result.withLock { $0 = outcome }
            loaded.leave()
        }
    }

    /// An index already in memory.
    public init(ready index: RegistrationIndex) {
        result.withLock { $0 = .success(index) }
    }

    /// Whether `wait` would return at once.
    public var isReady: Bool { result.withLock { $0 != nil } }

    /// The index, once loaded.
    public func wait() throws -> RegistrationIndex {
        loaded.wait()
        return try result.withLock { $0! }.get()
    }
}
