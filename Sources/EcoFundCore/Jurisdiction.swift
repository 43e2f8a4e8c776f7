/// A province-level or city-level government taking part in the fund, with the reference figures that
/// allocation factors use.
public struct Jurisdiction: Hashable, Sendable, Codable {
    public enum Level: String, Sendable, Codable, CaseIterable {
        case province, city
        /// The central government (中央财政): pays in as a contributor, is no member region and has no parent.
        case central
    }

    /// Lower-case pinyin, such as `zhangjiakou`.
    public let code: String
    public let name: String
    public let nameZh: String
    public let level: Level
    /// The province a city belongs to; `nil` for a province.
    public let parent: String?
    /// Residents, as an exact decimal string.
    public let population: ExactDecimal
    /// Ecological protection area in km².
    public let ecologicalArea: ExactDecimal
    /// Energy-conservation and environmental spending per resident, in yuan per person.
    public let envSpendingPerCapita: ExactDecimal

    public init(
        code: String, name: String, nameZh: String, level: Level, parent: String?,
        population: ExactDecimal, ecologicalArea: ExactDecimal, envSpendingPerCapita: ExactDecimal
    ) {
        self.code = code
        self.name = name
        self.nameZh = nameZh
        self.level = level
        self.parent = parent
        self.population = population
        self.ecologicalArea = ecologicalArea
        self.envSpendingPerCapita = envSpendingPerCapita
    }

    /// Checks a code: lower-case pinyin letters, digits and dashes, 2 to 40 characters (``CodePattern/jurisdiction``).
    public static func validateCode(_ code: String, at pointer: String) throws(ValidationError) {
        guard CodePattern.jurisdiction.matches(code) else {
            throw ValidationError(.invalidValue, at: pointer, "must be a lower-case pinyin code such as \"hebei\"")
        }
    }

    /// Checks the fields that the schema's constraints also check, so that bad input is a 422, not a 500.
    public func validate() throws(ValidationError) {
        try Self.validateCode(code, at: "/code")
        try Text.validate(name, at: "/name", lengthMax: 200)
        try Text.validate(nameZh, at: "/nameZh", lengthMax: 200)
        switch level {
        case .province, .central:
            guard parent == nil else {
                throw ValidationError(.invalidValue, at: "/parent", "must be absent for a \(level.rawValue)")
            }
        case .city:
            guard let parent else {
                throw ValidationError(.missingField, at: "/parent", "is required for a city")
            }
            try Self.validateCode(parent, at: "/parent")
        }
    }
}
