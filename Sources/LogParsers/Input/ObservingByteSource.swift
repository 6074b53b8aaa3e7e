/// Shows every chunk read from `upstream` to an observer before passing it on: lets a
/// caller hash or copy a file's bytes as shipped in the same pass that parses them.
final class ObservingByteSource: ByteSource {
    private let upstream: ByteSource
    private let observer: (UnsafeRawBufferPointer) -> Void

    init(upstream: ByteSource, observer: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.upstream = upstream
        self.observer = observer
    }

    var bytesProduced: UInt64 { upstream.bytesProduced }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let n = try upstream.read(into: buffer)
        if n > 0 { observer(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }
}
