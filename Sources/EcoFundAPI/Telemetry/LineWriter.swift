import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where log lines go: one `write` per line, under a lock, so lines from many threads never interleave.
public final class LineWriter: Sendable {
    private let sink: Mutex<@Sendable ([UInt8]) -> Void>

    public init(_ sink: @escaping @Sendable ([UInt8]) -> Void) { self.sink = Mutex(sink) }

    public func write(_ line: [UInt8]) { sink.withLock { $0(line) } }

    public static let standardError = LineWriter { line in
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
