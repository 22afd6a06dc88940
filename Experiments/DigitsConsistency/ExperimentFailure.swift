/// A failure of the experiment that the user can act on: what was wrong and what is expected.
struct ExperimentFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
