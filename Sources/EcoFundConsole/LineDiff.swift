/// The difference between two texts line by line (longest common subsequence): each line kept, removed or added, in
/// order. For rule versions of a few hundred lines; quadratic in lines, which is nothing at that size.
enum LineDiff {
    enum Change: Equatable {
        case kept(String)
        case removed(String)
        case added(String)
    }

    static func changes(from old: [String], to new: [String]) -> [Change] {
        let rows = old.count, columns = new.count
        // common[i][j]: the longest common subsequence of old[i...] and new[j...].
        var common = Array(repeating: Array(repeating: 0, count: columns + 1), count: rows + 1)
        for i in stride(from: rows - 1, through: 0, by: -1) {
            for j in stride(from: columns - 1, through: 0, by: -1) {
                common[i][j] = old[i] == new[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var changes: [Change] = []
        var i = 0, j = 0
        while i < rows || j < columns {
            if i < rows, j < columns, old[i] == new[j] {
                changes.append(.kept(old[i]))
                i += 1
                j += 1
            } else if j < columns, i == rows || common[i][j + 1] >= common[i + 1][j] {
                changes.append(.added(new[j]))
                j += 1
            } else {
                changes.append(.removed(old[i]))
                i += 1
            }
        }
        return changes
    }
}
