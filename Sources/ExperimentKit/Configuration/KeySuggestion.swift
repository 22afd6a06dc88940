/// The nearest valid key to a mistyped one, by the optimal-string-alignment edit distance (Levenshtein
/// with adjacent transpositions, so `widht` is one edit from `width`): the number of single-character
/// insertions, deletions, substitutions and swaps of neighbours that turn one string into the other.
enum KeySuggestion {
    /// The valid key with the smallest distance to `key` (ties: the first in `valid`), or nil when even
    /// that one is further than max(3, ⌈|key| / 2⌉) edits — then nothing is a plausible intent.
    static func nearest(to key: String, in valid: [String]) -> String? {
        var best: (key: String, distance: Int)?
        for candidate in valid {
            let distance = editDistance(key, candidate)
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(3, (key.count + 1) / 2) else { return nil }
        return best.key
    }

    /// d(a, b) with d(i, j) = min(d(i−1, j) + 1, d(i, j−1) + 1, d(i−1, j−1) + [aᵢ ≠ bⱼ],
    /// d(i−2, j−2) + 1 when aᵢ = bⱼ₋₁ and aᵢ₋₁ = bⱼ).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
