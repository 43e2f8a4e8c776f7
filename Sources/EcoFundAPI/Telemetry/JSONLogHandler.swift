import EcoFundCore
import Foundation
import Logging

/// Writes each log record as one JSON object on one line of standard error: `time` (``UTCTime``), `level`,
/// `logger`, `message`, `source`, `request_id` when the record was written while a request was handled, and the
/// metadata, members in sorted order.
///
/// For log shippers (journald, Loki, Cloud Logging) that read one object per line; `LOG_FORMAT=text` keeps
/// swift-log's own format for people at a terminal.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: LineWriter

    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = .requestID, output: LineWriter = .standardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = .string(String(reflecting: error)) }
        merged["source"] = .string(event.source)
        var record = merged.mapValues(Self.json)
        record["time"] = .string(UTCTime.text(Date()))
        record["level"] = .string(event.level.rawValue)
        record["logger"] = .string(label)
        record["message"] = .string(event.message.description)
        // The audit log's JSON writer (RFC 8785): members sorted, control characters escaped, so a line break in a
        // message or an error's text never splits a record.
        output.write(JSONValue.object(record).canonicalBytes + [UInt8(ascii: "\n")])
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let value): .string(value.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let values): .object(values.mapValues(json))
        }
    }
}

extension Logger.MetadataProvider {
    /// The id of the request being handled, if any (``RequestScope/requestID``).
    public static let requestID = Logger.MetadataProvider {
        RequestScope.requestID.map { ["request_id": .string($0)] } ?? [:]
    }
}
