/// A period's current scores ranked for reading: best composite first, ties by jurisdiction code; equal composites
/// share a rank and the next rank skips ("competition ranking": 1, 2, 2, 4).
public struct RankedScore: Hashable, Sendable {
    public let rank: Int
    public let score: ScoreRecord

    /// Ranks the latest score of each jurisdiction.
    public static func rank(_ scores: [ScoreRecord]) -> [RankedScore] {
        let keyed = scores.map { score -> (composite: Rational, score: ScoreRecord) in
            guard let composite = Rational(decimal: score.composite) else {
                preconditionFailure("score \(score.period)/\(score.jurisdiction) has composite \(score.composite)")
            }
            return (composite, score)
        }
        let sorted = keyed.sorted { lhs, rhs in
            lhs.composite != rhs.composite
                ? lhs.composite > rhs.composite : lhs.score.jurisdiction < rhs.score.jurisdiction
        }
        var ranked: [RankedScore] = []
        for (index, entry) in sorted.enumerated() {
            let tied = index > 0 && sorted[index - 1].composite == entry.composite
            ranked.append(RankedScore(rank: tied ? ranked[index - 1].rank : index + 1, score: entry.score))
        }
        return ranked
    }
}
