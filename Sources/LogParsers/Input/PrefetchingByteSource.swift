import Foundation

/// Runs another source (a decompressor, typically) on a thread of its own, a few chunks
/// ahead of the reader, so that decompression and parsing use two cores.
///
/// An error of the inner source is delivered after every byte it produced before it.
// Unchecked: its state is guarded by `condition`, a condition variable (the reader waits
// for chunks, the inflating thread for free buffers), which Mutex cannot express.
final class PrefetchingByteSource: ByteSource, @unchecked Sendable {
    private static let chunkCapacity = 1 << 20
    private static let chunkCount = 4

    private struct Chunk {
        var storage: UnsafeMutableRawBufferPointer
        var count: Int
    }

    private let inner: ByteSource
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var free: [UnsafeMutableRawBufferPointer]
    private var filled: [Chunk] = []
    private var innerEnded = false
    private var innerError: InputError?
    private var cancelled = false
    private var producerDone = false
    // Reader side only:
    private var current: Chunk?
    private var position = 0
    private var allStorage: [UnsafeMutableRawBufferPointer]
    private(set) var bytesProduced: UInt64 = 0

    init(inner: ByteSource) {
        self.inner = inner
        allStorage = (0..<Self.chunkCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkCapacity, alignment: 64)
        }
        free = allStorage
        let thread = Thread { [self] in produce() }
        thread.name = "abuse-ingest.inflate"
        thread.start()
    }

    deinit {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !producerDone { condition.wait() }
        condition.unlock()
        for storage in allStorage { storage.deallocate() }
    }

    private func produce() {
        while true {
            condition.lock()
            while free.isEmpty && !cancelled { condition.wait() }
            if cancelled {
                producerDone = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let storage = free.removeLast()
            condition.unlock()

            var outcome: Result<Int, InputError>
            do throws(InputError) {
                outcome = .success(try inner.read(into: storage))
            } catch {
                outcome = .failure(error)
            }

            condition.lock()
            switch outcome {
            case .success(let n) where n > 0:
                filled.append(Chunk(storage: storage, count: n))
            case .success:
                free.append(storage)
                innerEnded = true
            case .failure(let error):
                free.append(storage)
                innerError = error
                innerEnded = true
            }
            let ended = innerEnded
            if ended { producerDone = true }
            condition.broadcast()
            condition.unlock()
            if ended { return }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if current == nil || position == current!.count {
            condition.lock()
            if let finished = current {
                free.append(finished.storage)
                current = nil
                condition.broadcast()
            }
            while filled.isEmpty && !innerEnded { condition.wait() }
            if filled.isEmpty {
                let error = innerError
                condition.unlock()
                if let error { throw error }
                return 0
            }
            current = filled.removeFirst()
            position = 0
            condition.unlock()
        }
        let chunk = current!
        let n = min(buffer.count, chunk.count - position)
        buffer.baseAddress!.copyMemory(from: chunk.storage.baseAddress! + position, byteCount: n)
        position += n
        bytesProduced += UInt64(n)
        return n
    }
}
