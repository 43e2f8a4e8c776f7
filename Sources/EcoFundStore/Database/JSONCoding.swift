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
}
