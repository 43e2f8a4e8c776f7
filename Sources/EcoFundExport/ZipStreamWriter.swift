import Foundation

/// Writes a ZIP archive front to back without seeking, so it can go straight to a socket: each file's CRC and
/// sizes follow its data in a data descriptor (general purpose flag bit 3), and the central directory at the end
/// repeats them. Files are stored, not compressed: the export is bounded by PostgreSQL's COPY speed, not by the
/// wire, and a stored CSV can be checked byte for byte against its SHA-256 in the manifest. ZIP64 records are
/// added only where a size or offset needs them (APPNOTE 6.3.10, sections 4.3.9, 4.4.8, 4.5.3).
final class ZipStreamWriter {
    /// Bytes are handed to the sink in chunks of about this size.
    static let flushBytes = 256 * 1024

    private struct Record {
        let name: [UInt8]
        let crc: UInt32
        let size: UInt64
        let offset: UInt64
    }

    private let sink: ([UInt8]) async throws -> Void
    private let dosTime: UInt16
    private let dosDate: UInt16
    private var buffer: [UInt8] = []
    private var offset: UInt64 = 0
    private var records: [Record] = []
    private var current: (name: [UInt8], offset: UInt64, crc: CRC32, size: UInt64)?

    /// `modified` is stamped on every file (DOS time, UTC).
    init(modified: Date, sink: @escaping ([UInt8]) async throws -> Void) {
        self.sink = sink
        let parts = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone(identifier: "UTC")!, from: modified)
        dosTime = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
        dosDate = UInt16(max(0, (parts.year ?? 1980) - 1980) << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        buffer.reserveCapacity(Self.flushBytes + 64 * 1024)
    }

    /// Starts a file; its bytes follow through ``write(_:)`` until ``closeFile()``.
    func openFile(_ name: String) async throws {
        precondition(current == nil, "a ZIP file entry is still open")
        let nameBytes = Array(name.utf8)
        current = (nameBytes, offset, CRC32(), 0)
        append32(0x0403_4b50)
        append16(45)  // version needed: 4.5, ZIP64
        append16(0x0808)  // bit 3: sizes in the data descriptor; bit 11: the name is UTF-8
        append16(0)  // stored
        append16(dosTime)
        append16(dosDate)
        append32(0)  // CRC, compressed and uncompressed size: in the data descriptor
        append32(0)
        append32(0)
        append16(UInt16(nameBytes.count))
        append16(0)
        appendBytes(nameBytes)
        try await flushIfFull()
    }

    func write(_ bytes: [UInt8]) async throws {
        precondition(current != nil, "no ZIP file entry is open")
        current!.crc.update(bytes)
        current!.size += UInt64(bytes.count)
        appendBytes(bytes)
        try await flushIfFull()
    }

    func closeFile() async throws {
        guard let file = current else { preconditionFailure("no ZIP file entry is open") }
        current = nil
        append32(0x0807_4b50)
        append32(file.crc.value)
        if file.size >= 0xFFFF_FFFF {
            append64(file.size)
            append64(file.size)
        } else {
            append32(UInt32(file.size))
            append32(UInt32(file.size))
        }
        records.append(Record(name: file.name, crc: file.crc.value, size: file.size, offset: file.offset))
        try await flushIfFull()
    }

    /// Writes the central directory and the end records, and hands every remaining byte to the sink.
    func finish() async throws {
        precondition(current == nil, "a ZIP file entry is still open")
        let directoryOffset = offset
        for record in records {
            let large = record.size >= 0xFFFF_FFFF
            let far = record.offset >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if large || far {
                var fields: [UInt8] = []
                if large { fields += Self.bytes64(record.size) + Self.bytes64(record.size) }
                if far { fields += Self.bytes64(record.offset) }
                extra = Self.bytes16(0x0001) + Self.bytes16(UInt16(fields.count)) + fields
            }
            append32(0x0201_4b50)
            append16(0x031e)  // made by: Unix, 3.0
            append16(45)
            append16(0x0808)
            append16(0)
            append16(dosTime)
            append16(dosDate)
            append32(record.crc)
            append32(large ? 0xFFFF_FFFF : UInt32(record.size))
            append32(large ? 0xFFFF_FFFF : UInt32(record.size))
            append16(UInt16(record.name.count))
            append16(UInt16(extra.count))
            append16(0)  // comment
            append16(0)  // disk
            append16(0)  // internal attributes
            append32(0o100644 << 16)  // external attributes: a regular file, rw-r--r--
            append32(far ? 0xFFFF_FFFF : UInt32(record.offset))
            appendBytes(record.name)
            appendBytes(extra)
            try await flushIfFull()
        }
        let directorySize = offset - directoryOffset
        let count = UInt64(records.count)
        if count >= 0xFFFF || directorySize >= 0xFFFF_FFFF || directoryOffset >= 0xFFFF_FFFF {
            let zip64End = offset
            append32(0x0606_4b50)
            append64(44)
            append16(0x031e)
            append16(45)
            append32(0)
            append32(0)
            append64(count)
            append64(count)
            append64(directorySize)
            append64(directoryOffset)
            append32(0x0706_4b50)
            append32(0)
            append64(zip64End)
            append32(1)
        }
        append32(0x0605_4b50)
        append16(0)
        append16(0)
        append16(UInt16(min(count, 0xFFFF)))
        append16(UInt16(min(count, 0xFFFF)))
        append32(UInt32(min(directorySize, 0xFFFF_FFFF)))
        append32(UInt32(min(directoryOffset, 0xFFFF_FFFF)))
        append16(0)
        try await flush()
    }

    private func flushIfFull() async throws {
        if buffer.count >= Self.flushBytes { try await flush() }
    }

    private func flush() async throws {
        guard !buffer.isEmpty else { return }
        let chunk = buffer
        buffer.removeAll(keepingCapacity: true)
        try await sink(chunk)
    }

    private func appendBytes(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        offset += UInt64(bytes.count)
    }

    private func append16(_ value: UInt16) { appendBytes(Self.bytes16(value)) }
    private func append32(_ value: UInt32) { appendBytes(Self.bytes32(value)) }
    private func append64(_ value: UInt64) { appendBytes(Self.bytes64(value)) }

    private static func bytes16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    private static func bytes32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> ($0 * 8)) & 0xff) } }
    private static func bytes64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8((value >> ($0 * 8)) & 0xff) } }
}
