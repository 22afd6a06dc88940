import CLIProcess
import Foundation
import Testing

/// Bad input never crashes the tool (DESIGN.md §7): every error exits non-zero with exactly one line
/// `error: …` on standard error that names the problem — no usage dump, no "Fatal error", no stack trace.
@Suite("consistency-td bad input", .serialized)
struct CLIBadInputTests {
    static let folder: String = {
        let folder = try! CLI.temporaryFolder("bad-input")
        try! #"{"kind": "ring", "modes": 0, "radius": 2, "std": 0.1}"#.write(toFile: folder + "/invalid.json", atomically: true, encoding: .utf8)
        try! #"{"kind": "spiral"}"#.write(toFile: folder + "/unknown.json", atomically: true, encoding: .utf8)
        try! #"{"kind": "two-moons"}"#.write(toFile: folder + "/moons.json", atomically: true, encoding: .utf8)
        try! "this is not JSON".write(toFile: folder + "/garbage.json", atomically: true, encoding: .utf8)
        try! "plain text".write(toFile: folder + "/notes.h5", atomically: true, encoding: .utf8)
        try! FileManager.default.createDirectory(atPath: folder + "/empty-run", withIntermediateDirectories: true)
        return folder
    }()

    static let cases: [(arguments: [String], mentions: String)] = [
        (["train", "--preset", "dffusion"], "dffusion"),
        (["train"], "--preset"),
        (["frobnicate"], "frobnicate"),
        (["train", "--preset", "ect", "--steps", "5"], "--from"),
        (["train", "--preset", "ict", "--steps", "0"], "--steps"),
        (["train", "--preset", "ict", "--environment", "missing.json"], "missing.json"),
        (["train", "--preset", "ict", "--environment", "invalid.json"], "invalid.json"),
        (["train", "--preset", "ict", "--environment", "unknown.json"], "spiral"),
        (["train", "--preset", "ict", "--environment", "garbage.json"], "garbage.json"),
        (["train", "--preset", "ict", "--steps", "5", "--max-time", "0.001", "--run-dir", "r1"], "t_max"),
        (["train", "--preset", "ict", "--steps", "5", "--lr-decay", "cosine:2", "--run-dir", "r2"], "cosine:2"),
        (["train", "--preset", "ict", "--steps", "5", "--from", "missing.h5"], "missing.h5"),
        (["train", "--preset", "ict", "--set", "training.lr=1"], "--set"),
        (["train", "--preset", "diffusion", "--steps", "5", "--max-time", "20", "--run-dir", "d1"], "--max-time applies to the consistency presets"),
        (["train", "--preset", "diffusion", "--steps", "5", "--weighting", "uniform", "--run-dir", "d2"], "--weighting applies to the consistency presets"),
        (["train", "--preset", "diffusion", "--steps", "5", "--final-scale", "40", "--run-dir", "d3"], "--final-scale applies to the consistency presets"),
        (["resume", "empty-run"], "run.json"),
        (["sample", "--checkpoint", "missing.h5"], "missing.h5"),
        (["sample", "--checkpoint", "notes.h5"], "notes.h5"),
        (["sample", "--checkpoint", "notes.h5", "--steps", "3"], "--steps"),
        (["evaluate", "--checkpoint", "notes.h5"], "notes.h5"),
        (["inspect", "notes.h5"], "not an HDF5 file"),
        (["inspect", "missing.h5"], "missing.h5"),
        (["analyze-targets", "--r-ratio", "1.5", "--points", "2", "--samples", "2"], "1.5"),
        (["analyze-targets", "--t", "0.001", "--points", "2", "--samples", "2"], "0.001"),
        (["analyze-targets", "--estimators", "exact,magic", "--points", "2", "--samples", "2"], "magic"),
        (["analyze-targets", "--r-ratio", "0.5", "--r", "0.2"], "--r"),
        (["export-trajectories", "--policy", "teleport"], "teleport"),
        (["export-trajectories", "--format", "parquet"], "parquet"),
        (["sweep", "--config", "sweep.yaml", "--shard", "4/4"], "4/4"),
        (["sweep", "--config", "missing-sweep.yaml"], "missing-sweep.yaml"),
        (["sweep", "--merge", "--out", "no-sweep-here"], "no-sweep-here"),
        (["export-trajectories", "--targets", "td7x", "--episodes", "1", "--steps", "1"], "td7x"),
        (["export-trajectories", "--policy", "checkpoint"], "--checkpoint"),
        (["export-trajectories", "--policy", "exact", "--environment", "moons.json", "--episodes", "1", "--steps", "1"], "closed-form"),
    ]

    @Test("each bad command exits non-zero with one readable error line naming the problem", arguments: cases.indices)
    func badInput(index: Int) throws {
        let (arguments, mention) = Self.cases[index]
        let result = try CLI.run(arguments, in: Self.folder)
        #expect(result.status != 0, "\(arguments) succeeded")
        #expect(result.errorLines.count == 1, "\(arguments): \(result.standardError)")
        #expect(result.errorLines.first?.hasPrefix("error: ") == true, "\(arguments): \(result.standardError)")
        #expect(result.standardError.contains(mention), "\(arguments): \(result.standardError)")
        for crash in ["Fatal error", "Stack dump", "backtrace", "Current stack trace"] {
            #expect(!result.standardError.contains(crash), "\(arguments): \(result.standardError)")
        }
    }
}
