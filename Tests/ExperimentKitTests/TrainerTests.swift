@testable import ExperimentKit
import Foundation
import Testing

/// The trainer's suites. Serialized: a signal or stop request reaches every trainer running in the
/// process, so trainer tests must not overlap.
@Suite("Trainer", .serialized)
struct TrainerTests {}

/// A silent configuration for tests (metrics flushed only at checkpoints and exits).
func testConfiguration(
    steps: Int, checkpointEvery: Int = 1000, keepCheckpoints: Int = 100, evaluateEvery: Int? = nil,
    maximumConsecutiveSkippedSteps: Int = 10
) throws -> TrainerConfiguration {
    try TrainerConfiguration(
        steps: steps, checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints, evaluateEvery: evaluateEvery,
        maximumConsecutiveSkippedSteps: maximumConsecutiveSkippedSteps, progress: .silent)
}

/// Expects two run folders to hold the same metrics: steps and every series bit for bit in
/// `metrics.h5`, and the same `metrics.csv` text.
func expectSameMetrics(_ first: String, _ second: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let a = try MetricsStore.read(first + "/metrics.h5"), b = try MetricsStore.read(second + "/metrics.h5")
    #expect(a.steps == b.steps, "steps \(a.steps) ≠ \(b.steps)", sourceLocation: sourceLocation)
    #expect(Set(a.series.keys) == Set(b.series.keys), "series \(a.series.keys.sorted()) ≠ \(b.series.keys.sorted())",
            sourceLocation: sourceLocation)
    for (name, values) in a.series {
        #expect(sameValues(values, b.series[name] ?? []), "series \(name) differs", sourceLocation: sourceLocation)
    }
    let textA = try String(contentsOfFile: first + "/metrics.csv", encoding: .utf8)
    let textB = try String(contentsOfFile: second + "/metrics.csv", encoding: .utf8)
    #expect(textA == textB, "metrics.csv differs", sourceLocation: sourceLocation)
}

/// Expects `body` to throw a ``TrainerError`` whose description contains every fragment.
func expectTrainerError(
    containing fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected a TrainerError mentioning \(fragments), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as TrainerError {
        for fragment in fragments {
            #expect(error.description.contains(fragment), "'\(fragment)' missing from: \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a TrainerError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}
