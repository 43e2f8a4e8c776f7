import AsyncAlgorithms

/// The archive as an async sequence of chunks. The export runs in a task that starts when the body is first read
/// and is cancelled when the reader goes away (the iterator is released), which ends its database snapshot.
public struct ExportStream: AsyncSequence, Sendable {
    public typealias Failure = any Error
    public typealias Element = ArraySlice<UInt8>
    let exporter: AuditExporter

    public final class AsyncIterator: AsyncIteratorProtocol {
        let channel = AsyncThrowingChannel<[UInt8], any Error>()
        var producer: Task<Void, Never>?
        let exporter: AuditExporter

        init(exporter: AuditExporter) { self.exporter = exporter }

        deinit { producer?.cancel() }

        public func next() async throws -> ArraySlice<UInt8>? {
            if producer == nil {
                let channel = self.channel
                let exporter = self.exporter
                producer = Task {
                    do {
                        try await exporter.write { chunk in
                            await channel.send(chunk)
                            try Task.checkCancellation()
                        }
                        channel.finish()
                    } catch {
                        channel.fail(error)
                    }
                }
            }
            var iterator = channel.makeAsyncIterator()
            return try await iterator.next().map { $0[...] }
        }
    }

    public init(exporter: AuditExporter) { self.exporter = exporter }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(exporter: exporter) }
}
