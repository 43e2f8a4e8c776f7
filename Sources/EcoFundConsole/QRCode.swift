import CQRencode
import EcoFundCore

/// A QR code drawn as inline SVG, from Debian's libqrencode (the encoder people trust, rather than one written
/// here): the otpauth URL a person scans to set up their second factor.
enum QRCode {
    /// The SVG of `text` at error correction level M, with the four-module quiet zone of the standard; nil if
    /// libqrencode cannot encode it (too long).
    static func svg(_ text: String, label: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        for row in 0..<width {
            for column in 0..<width where code.pointee.data[row * width + column] & 1 == 1 {
                path += "M\(column + quiet) \(row + quiet)h1v1h-1z"
            }
        }
        let escaped = Text.htmlEscaped(label)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" width="240" height="240" \
            role="img" aria-label="\(escaped)" shape-rendering="crispEdges"><rect width="\(size)" height="\(size)" \
            fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }
}
