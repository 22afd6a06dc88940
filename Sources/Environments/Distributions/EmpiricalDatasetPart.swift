/// One side of the fixed train/test split stored with a dataset file (`/split`, one uint8 per point:
/// 0 = training point, 1 = test point; see Experiments/Data/README.md).
///
/// The split is part of the data, not drawn at load time, so every experiment that trains on
/// ``train`` and evaluates on ``test`` sees the same 1 442 / 355 digits (the digits file puts every
/// fifth image of each class in the test part).
public enum EmpiricalDatasetPart: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The points whose `/split` value is 0.
    case train
    /// The points whose `/split` value is 1.
    case test

    /// The `/split` value that marks a point of this part.
    public var splitCode: UInt8 {
        switch self {
        case .train: 0
        case .test: 1
        }
    }

    public var description: String { rawValue }
}
