/// `manifest.json`: what was exported, from which snapshot, and the SHA-256 of every other file.
public struct ExportManifest: Codable, Hashable, Sendable {
    public struct File: Codable, Hashable, Sendable {
        public let name: String
        public let bytes: Int64
        public let sha256: String

        public init(name: String, bytes: Int64, sha256: String) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public let format: String
    public let exportedAt: String
    /// The value-date range of the ledger files, inclusive.
    public let from: String
    public let to: String
    /// True when no journal entry falls outside the range: then every stored balance must equal the lines.
    public let complete: Bool
    public let treeSize: Int64
    public let files: [File]

    public init(
        exportedAt: String, from: String, to: String, complete: Bool, treeSize: Int64, files: [File]
    ) {
        self.format = ExportFormat.version
        self.exportedAt = exportedAt
        self.from = from
        self.to = to
        self.complete = complete
        self.treeSize = treeSize
        self.files = files
    }
}
