extension ScoreIdentityReferences {
    /// The same reference set (layout, labels, points) in another precision — e.g. a Double set
    /// rounded to Float for ``FastScoreIdentityDenoiser``. A point that does not fit the target type
    /// (beyond Float's range) becomes non-finite and is rejected like any non-finite reference.
    public func converted<Target: BinaryFloatingPoint & Sendable>(to _: Target.Type) throws(ScoreIdentityError)
        -> ScoreIdentityReferences<Target> {
        let convertedPoints = points.map { Target($0) }
        switch layout {
        case .shared:
            return try .shared(points: convertedPoints, labels: labels, dimension: dimension)
        case .ownPlusPool:
            return try .ownPlusPool(own: ownPoints.map { Target($0) }, ownLabels: ownLabels, pool: convertedPoints,
                                    poolLabels: labels, dimension: dimension)
        }
    }
}
