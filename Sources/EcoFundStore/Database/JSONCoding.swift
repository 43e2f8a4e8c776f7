import EcoFundCore
import Foundation

/// The one JSON configuration for what the store writes as JSON (audit payloads, idempotent responses):
/// sorted keys, so equal values give equal bytes.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()

    /// For audit payloads: sorted keys and instants in ``UTCTime``'s form, since an event may hold no number but an
    /// integer (see the check on audit_events.payload).
    static let auditEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCTime.text(date))
        }
        return encoder
    }()
}
