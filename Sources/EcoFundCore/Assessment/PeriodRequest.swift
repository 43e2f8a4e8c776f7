/// An assessment period as the assessment office opens it, checked field by field.
public struct PeriodRequest: Hashable, Sendable, Codable {
    /// The most jurisdictions one period may assess.
    public static let jurisdictionsMax = 100

    /// 1 to 20 letters, digits or dashes, such as `2025` or `2025-h1`.
    public let code: String
    public let schemeCode: String
    /// The scheme version; `nil` means the latest.
    public let schemeVersion: Int?
    public let jurisdictions: [String]

    public init(code: String, schemeCode: String, schemeVersion: Int?, jurisdictions: [String])
        throws(ValidationError)
    {
        try Self.validateCode(code, at: "/code")
        try Jurisdiction.validateCode(schemeCode, at: "/scheme")
        guard (1...Self.jurisdictionsMax).contains(jurisdictions.count) else {
            throw ValidationError(
                .invalidValue, at: "/jurisdictions", "must list 1 to \(Self.jurisdictionsMax) jurisdictions")
        }
        for (index, jurisdiction) in jurisdictions.enumerated() {
            try Jurisdiction.validateCode(jurisdiction, at: "/jurisdictions/\(index)")
        }
        guard Set(jurisdictions).count == jurisdictions.count else {
            throw ValidationError(.invalidValue, at: "/jurisdictions", "lists a jurisdiction twice")
        }
        self.code = code
        self.schemeCode = schemeCode
        self.schemeVersion = schemeVersion
        self.jurisdictions = jurisdictions
    }

    /// The pattern of period codes (SQL: `is_period_code`).
    public static func validateCode(_ code: String, at pointer: String) throws(ValidationError) {
        guard CodePattern.period.matches(code) else {
            throw ValidationError(
                .invalidValue, at: pointer, "must be 1 to 20 letters, digits or dashes, such as \"2025\"")
        }
    }
}
