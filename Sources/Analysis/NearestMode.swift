import Environments

extension GaussianMixture {
    /// The component whose mean is closest to `point` in Euclidean distance (ties go to the lower
    /// index), and whether the point lies within `radius` standard deviations of some component:
    /// ‖x − μ_k‖ ≤ radius · s_k for at least one k.
    func nearestMode(_ point: UnsafeBufferPointer<Double>, radius: Double) -> (mode: Int, isNearSomeMode: Bool) {
        var nearest = 0
        var nearestDistance = Double.infinity
        var isNear = false
        for k in 0 ..< componentCount {
            var squaredDistance = 0.0
            for d in 0 ..< dimension {
                let difference = point[d] - means[k * dimension + d]
                squaredDistance += difference * difference
            }
            if squaredDistance < nearestDistance { nearestDistance = squaredDistance; nearest = k }
            let limit = radius * standardDeviations[k]
            if squaredDistance <= limit * limit { isNear = true }
        }
        return (nearest, isNear)
    }
}
