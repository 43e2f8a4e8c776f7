import Foundation
import Testing

/// DESIGN.md "Where each rule lives", as checks over the source tree: SQL only in EcoFundStore, no role checked
/// in a handler or a console page, and files and functions short enough to read (STYLE.md).
@Suite struct SourceLayoutTests {
    static let root = DeployFilesTests.root

    /// Every Swift file under `Sources/`, as (path relative to the checkout, text).
    static func sources() throws -> [(path: String, text: String)] {
        let sources = root.appendingPathComponent("Sources")
        let enumerator = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var files: [(String, String)] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            let path = String(url.path.dropFirst(root.path.count + 1))
            files.append((path, try String(contentsOf: url, encoding: .utf8)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// A statement of SQL, as it would start or join a query.
    static var sql: Regex<AnyRegexOutput> {
        try! Regex(
            #"\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|COPY \(|CREATE (TABLE|INDEX|FUNCTION|DATABASE)|ALTER (TABLE|DATABASE)|DROP (TABLE|DATABASE)|BEGIN|COMMIT|ROLLBACK)\b"#
        )
    }

    @Test func sqlTextLivesInTheStoreOnly() throws {
        var found: [String] = []
        for (path, text) in try Self.sources() where !path.hasPrefix("Sources/EcoFundStore/") {
            for literal in StringLiterals.contents(of: text) where literal.contains(Self.sql) {
                found.append("\(path): \(literal.prefix(80))")
            }
        }
        #expect(found == [], "\(found.joined(separator: "\n"))")
        // The check sees SQL where there is some.
        #expect(StringLiterals.contents(of: #"let q = "SELECT 1 FROM t""#).contains { $0.contains(Self.sql) })
    }

    /// Handlers check nothing; a console page may ask `may(_:)` to decide what to offer (a menu item, a button), as
    /// `Permission` says, but never authorizes or compares roles: the service decides.
    @Test func noHandlerOrPageChecksARole() throws {
        let checks = try Regex(
            #"\.(require|authorize|may)\(|\.role\s*(==|!=)|case \.(finance|approver|assessor|auditor|admin)\b"#)
        let pageChecks = try Regex(
            #"\.(require|authorize)\(|\.role\s*(==|!=)|case \.(finance|approver|assessor|auditor|admin)\b"#)
        var found: [String] = []
        for (path, text) in try Self.sources()
        where path.hasPrefix("Sources/EcoFundAPI/Handlers") || path.hasPrefix("Sources/EcoFundConsole/") {
            let forbidden = path.hasPrefix("Sources/EcoFundConsole/") ? pageChecks : checks
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(forbidden) && !line.contains("static func role(") {
                found.append("\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(found == [], "\(found.joined(separator: "\n"))")
    }

    @Test func noSourceFileIsOver400Lines() throws {
        let long = try Self.sources().map {
            ($0.path, $0.text.split(separator: "\n", omittingEmptySubsequences: false).count)
        }
        .filter { $0.1 > 400 }
        #expect(long.isEmpty, "\(long)")
    }

    /// A function's body ends at the first closing brace at its own indentation (swift-format keeps that so).
    @Test func noFunctionIsOver70Lines() throws {
        let start = try Regex(
            #"^(\s*)((public|private|fileprivate|internal|package|static|mutating|override|@\w+)\s+)*(func|init)\b"#)
        var long: [String] = []
        for (path, text) in try Self.sources() {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (index, line) in lines.enumerated() {
                guard let match = line.firstMatch(of: start) else { continue }
                let indent = String(line[match.range].prefix { $0 == " " })
                guard let end = lines[(index + 1)...].firstIndex(where: { $0.hasPrefix(indent + "}") }) else {
                    continue
                }
                if end - index + 1 > 70 { long.append("\(path):\(index + 1): \(end - index + 1) lines") }
            }
        }
        #expect(long == [], "\(long.joined(separator: "\n"))")
    }
}

/// The text inside the string literals of Swift source, found by a small scanner that knows comments, `"…"`,
/// `"""…"""`, raw strings (`#"…"#`) and interpolations (whose code it skips).
enum StringLiterals {
    static func contents(of source: String) -> [String] {
        let characters = Array(source)
        var literals: [String] = []
        var index = 0
        while index < characters.count {
            let rest = characters[index...]
            if rest.starts(with: "//") {
                while index < characters.count, characters[index] != "\n" { index += 1 }
            } else if rest.starts(with: "/*") {
                index += 2
                while index < characters.count, !characters[index...].starts(with: "*/") { index += 1 }
                index += 2
            } else if let (text, end) = literal(characters, at: index) {
                literals.append(text)
                index = end
            } else {
                index += 1
            }
        }
        return literals
    }

    /// The literal starting at `start` (after any `#`s) and the index after it, or nil when none starts there.
    private static func literal(_ characters: [Character], at start: Int) -> (String, Int)? {
        var index = start
        var hashes = 0
        while index < characters.count, characters[index] == "#" {
            hashes += 1
            index += 1
        }
        guard index < characters.count, characters[index] == "\"" else { return nil }
        let multiline = characters[index...].starts(with: "\"\"\"")
        let quote = Array(repeating: Character("\""), count: multiline ? 3 : 1) + Array(repeating: "#", count: hashes)
        index += multiline ? 3 : 1
        var text = ""
        while index < characters.count {
            if characters[index...].starts(with: quote) { return (text, index + quote.count) }
            if hashes == 0, characters[index] == "\\", index + 1 < characters.count {
                if characters[index + 1] == "(" {
                    index = skipInterpolation(characters, from: index + 2)
                    continue
                }
                text.append(characters[index + 1])
                index += 2
                continue
            }
            text.append(characters[index])
            index += 1
        }
        return (text, index)
    }

    private static func skipInterpolation(_ characters: [Character], from start: Int) -> Int {
        var depth = 1
        var index = start
        while index < characters.count, depth > 0 {
            if let (_, end) = literal(characters, at: index) {
                index = end
                continue
            }
            if characters[index] == "(" { depth += 1 }
            if characters[index] == ")" { depth -= 1 }
            index += 1
        }
        return index
    }
}
