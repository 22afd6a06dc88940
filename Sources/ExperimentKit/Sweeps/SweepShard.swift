/// One slice of a sweep for parallel workers (DESIGN.md §8): shard i of n (0 ≤ i < n) runs every run
/// whose index k has k mod n = i — round-robin, so that runs whose cost grows along an axis (width,
/// steps) spread evenly over the shards. The n shards partition the runs: each run belongs to exactly
/// one shard.
public struct SweepShard: Equatable, Sendable, CustomStringConvertible {
    /// i, zero-based.
    public let index: Int
    /// n ≥ 1.
    public let count: Int

    /// Shard `index` of `count`; throws unless 0 ≤ index < count.
    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw ConfigurationError.invalidSweep("shard \(index)/\(count): expected i/n with n ≥ 1 and 0 ≤ i < n (zero-based)")
        }
        self.index = index
        self.count = count
    }

    /// The whole sweep as one shard.
    public static let all = try! SweepShard(index: 0, count: 1)

    /// Parses `--shard i/n` (zero-based i).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(String(parts[0]).trimmingWhitespace()), let count = Int(String(parts[1]).trimmingWhitespace()) else {
            throw ConfigurationError.invalidSweep("shard '\(text)': expected i/n, e.g. 0/4")
        }
        try self.init(index: index, count: count)
    }

    /// The shard a scheduler assigned to this process, from its environment variables, or nil when
    /// none is set:
    /// - Slurm job arrays: i = `SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` (0 when unset),
    ///   n = `SLURM_ARRAY_TASK_COUNT` (so `--array=1-8` and `--array=0-7` both give shards 0…7 of 8);
    /// - Open MPI: i = `OMPI_COMM_WORLD_RANK`, n = `OMPI_COMM_WORLD_SIZE`.
    /// Slurm wins when both are present. Present but malformed or out-of-range values throw.
    public static func detect(environment: [String: String]) throws -> SweepShard? {
        if let id = environment["SLURM_ARRAY_TASK_ID"] {
            guard let task = Int(id), let countText = environment["SLURM_ARRAY_TASK_COUNT"], let count = Int(countText) else {
                throw ConfigurationError.invalidSweep(
                    "SLURM_ARRAY_TASK_ID=\(id) needs an integer SLURM_ARRAY_TASK_COUNT (got \(environment["SLURM_ARRAY_TASK_COUNT"] ?? "none"))")
            }
            let minimumText = environment["SLURM_ARRAY_TASK_MIN"] ?? "0"
            guard let minimum = Int(minimumText) else {
                throw ConfigurationError.invalidSweep("SLURM_ARRAY_TASK_MIN=\(minimumText) is not an integer")
            }
            do { return try SweepShard(index: task - minimum, count: count) } catch {
                throw ConfigurationError.invalidSweep("Slurm array task \(task) (min \(minimum), count \(count)) gives no shard i/n with 0 ≤ i < n; "
                                                      + "use a contiguous --array range")
            }
        }
        if let rankText = environment["OMPI_COMM_WORLD_RANK"] {
            guard let rank = Int(rankText), let sizeText = environment["OMPI_COMM_WORLD_SIZE"], let size = Int(sizeText) else {
                throw ConfigurationError.invalidSweep(
                    "OMPI_COMM_WORLD_RANK=\(rankText) needs an integer OMPI_COMM_WORLD_SIZE (got \(environment["OMPI_COMM_WORLD_SIZE"] ?? "none"))")
            }
            return try SweepShard(index: rank, count: size)
        }
        return nil
    }

    /// Whether run `runIndex` belongs to this shard: runIndex mod n = i.
    public func contains(_ runIndex: Int) -> Bool { runIndex % count == index }

    /// The indices of this shard's runs among `runCount`, ascending.
    public func runIndices(of runCount: Int) -> [Int] { Array(stride(from: index, to: runCount, by: count)) }

    /// "i/n".
    public var description: String { "\(index)/\(count)" }
}
