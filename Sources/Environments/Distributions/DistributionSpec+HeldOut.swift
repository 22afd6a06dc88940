extension DistributionSpec {
    /// Where the held-out data of an evaluation come from (METHODS.md §9: distances "against a held-out
    /// data sample of the same size"), for a model trained on this spec's distribution.
    public enum HeldOutData: Equatable, Sendable {
        /// Fresh draws of the same distribution, independent of every training draw (the generative kinds).
        case freshDraws
        /// The other side of the dataset's split: `part: test` for a run trained on `part: train`, and the
        /// reverse (a stored split or a seeded `test_fraction` split, as the spec names it).
        case otherSide(DistributionSpec)
        /// None: an empirical spec with `part: all` trains on every point of its file, so an evaluation can
        /// only compare samples with training points (a model that memorised them scores perfectly).
        case unavailable(reason: String)
    }

    /// The held-out data of this spec (see ``HeldOutData``).
    public var heldOutData: HeldOutData {
        guard case let .empirical(spec) = self else { return .freshDraws }
        switch spec.part {
        case "train", "test":
            var other = spec
            other.part = spec.part == "train" ? "test" : "train"
            return .otherSide(.empirical(other))
        default:
            return .unavailable(reason: "the empirical dataset \"\(spec.path)\" is used whole (part: \(spec.part)), so there is no "
                + "held-out part and the distances compare samples with training points; train on part: train "
                + "(with the file's stored split, or test_fraction for a seeded split) to evaluate on its test part")
        }
    }

    /// The distribution held-out evaluation data are drawn from: this spec's own for fresh draws, the other
    /// side of the split for a split dataset, and — when none exists — this spec's own as well (check
    /// ``heldOutData`` to say so).
    public func makeHeldOutDistribution() throws -> any DataDistribution {
        switch heldOutData {
        case .freshDraws, .unavailable: return try makeDistribution()
        case let .otherSide(spec): return try spec.makeDistribution()
        }
    }
}
