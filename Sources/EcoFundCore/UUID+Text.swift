import Foundation

extension UUID {
    /// The identifier as the API writes it: lowercase, as RFC 9562 recommends (`uuidString` is uppercase). Messages
    /// use it too, so that an id in a problem's detail reads as the id in the client's URL.
    public var text: String { uuidString.lowercased() }
}
