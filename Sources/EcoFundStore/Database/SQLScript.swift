import Foundation

/// Splits a migration file into statements, because PostgresNIO speaks only the extended query protocol,
/// which takes one statement at a time.
///
/// Understands what PostgreSQL does in migrations: `'…'` strings, `"…"` identifiers, `$tag$…$tag$` bodies,
/// `--` and `/* */` comments. A semicolon outside all of those ends a statement.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var index = script.startIndex
        func peek(_ offset: Int) -> Character? {
            script.index(index, offsetBy: offset, limitedBy: script.endIndex).flatMap {
                $0 < script.endIndex ? script[$0] : nil
            }
        }
        while index < script.endIndex {
            let character = script[index]
            if character == "-", peek(1) == "-" {
                let end = script[index...].firstIndex(of: "\n") ?? script.endIndex
                index = end
                continue
            }
            if character == "/", peek(1) == "*" {
                let rest = script[script.index(index, offsetBy: 2)...]
                index = rest.range(of: "*/")?.upperBound ?? script.endIndex
                continue
            }
            if character == "'" || character == "\"" {
                let rest = script[script.index(after: index)...]
                let end = rest.firstIndex(of: character).map { script.index(after: $0) } ?? script.endIndex
                current += script[index..<end]
                index = end
                continue
            }
            if character == "$", let tag = dollarTag(at: index, in: script) {
                let bodyStart = script.index(index, offsetBy: tag.count)
                let end = script[bodyStart...].range(of: tag)?.upperBound ?? script.endIndex
                current += script[index..<end]
                index = end
                continue
            }
            if character == ";" {
                append(current, to: &statements)
                current = ""
            } else {
                current.append(character)
            }
            index = script.index(after: index)
        }
        append(current, to: &statements)
        return statements
    }

    private static func append(_ statement: String, to statements: inout [String]) {
        let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { statements.append(trimmed) }
    }

    /// `$$` or `$name$` starting at `index`, if one does.
    private static func dollarTag(at index: String.Index, in script: String) -> String? {
        var end = script.index(after: index)
        while end < script.endIndex, script[end].isLetter || script[end] == "_" || script[end].isNumber {
            end = script.index(after: end)
        }
        guard end < script.endIndex, script[end] == "$" else { return nil }
        let tag = String(script[index...end])
        guard tag.dropFirst().first?.isNumber != true else { return nil }
        return tag
    }
}
