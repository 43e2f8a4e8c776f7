import Foundation

/// The console's two languages: 简体中文 by default, English on request (a cookie, or the browser's first choice).
public enum Language: String, CaseIterable, Sendable {
    case zh
    case en

    /// The name of the cookie that keeps the person's choice.
    static let cookie = "ecofund_lang"

    /// The `lang` attribute of the page.
    var tag: String {
        switch self {
        case .zh: "zh-CN"
        case .en: "en"
        }
    }

    /// The choice kept in the cookie, else the first of the browser's languages we have, else Chinese.
    static func chosen(cookie: String?, acceptLanguage: String?) -> Language {
        if let cookie, let language = Language(rawValue: cookie) { return language }
        for part in (acceptLanguage ?? "").split(separator: ",") {
            let tag =
                part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if tag.hasPrefix("zh") { return .zh }
            if tag.hasPrefix("en") { return .en }
        }
        return .zh
    }
}

/// Every label, message and field error of the console, one catalog per language (`Catalogs/zh.json`, `en.json`),
/// flat keys with `_` between words so that templates name them as `{{t.key}}`. A test holds the two catalogs to the
/// same keys and every key a template or the code uses to one of them.
public struct Catalog: Sendable {
    public let language: Language
    public let texts: [String: String]

    /// Both catalogs, read from the bundle once.
    public static let all: [Language: Catalog] = {
        var catalogs: [Language: Catalog] = [:]
        for language in Language.allCases {
            guard
                let url = Bundle.module.url(
                    forResource: language.rawValue, withExtension: "json", subdirectory: "Catalogs"),
                let data = try? Data(contentsOf: url),
                let texts = try? JSONDecoder().decode([String: String].self, from: data)
            else { preconditionFailure("the console's catalog \(language.rawValue).json is missing or not flat JSON") }
            catalogs[language] = Catalog(language: language, texts: texts)
        }
        return catalogs
    }()

    public static func of(_ language: Language) -> Catalog {
        guard let catalog = all[language] else { preconditionFailure("no catalog for \(language.rawValue)") }
        return catalog
    }

    /// The text of `key`, with `{name}` placeholders filled from `values`. A key missing from the catalog is a bug the
    /// catalog test catches; at run time it shows as the key itself rather than stopping the page.
    public func text(_ key: String, _ values: [String: String] = [:]) -> String {
        var text = texts[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    /// The message for a refused value: the field's own wording of the problem if the catalog has one
    /// (`error_amount_invalid-amount`), else the problem's general wording (`error_invalid-amount`).
    public func message(kind: String, pointer: String?) -> String {
        let field = (pointer ?? "").split(separator: "/").first.map(String.init) ?? ""
        if !field.isEmpty, let specific = texts["error_\(field)_\(kind)"] { return specific }
        return texts["error_\(kind)"] ?? text("error_unknown")
    }
}
