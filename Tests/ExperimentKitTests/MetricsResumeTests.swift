import ExperimentKit
import Foundation
import Testing

/// A deterministic toy training loop's metrics: train/loss every step, eval/fid every 5 steps
/// (recorded in a second call at the same step), and eval/nll from step 12 on.
private func recordToyMetrics(_ store: MetricsStore, steps: ClosedRange<Int64>) throws {
    for step in steps {
        try store.record(step: step, ["train/loss": 1 / Double(step + 1), "train/lr": 1e-3])
        if step % 5 == 0 { try store.record(step: step, ["eval/fid": Double(100 - step)]) }
        if step >= 12 { try store.record(step: step, ["eval/nll": Double(step) / 7]) }
    }
}

/// The two runs the resume tests compare: `root/uninterrupted` recorded steps 0…19 in one go;
/// `root/interrupted` crashed after writing steps 0…14 (eval/nll, first seen at step 12, only in rows
/// a resume from step 10 removes).
private func uninterruptedAndCrashedRuns(in root: String) throws -> (uninterrupted: String, interrupted: String) {
    let uninterrupted = root + "/uninterrupted", interrupted = root + "/interrupted"
    let whole = try MetricsStore(runFolder: uninterrupted, flushInterval: .zero)
    try recordToyMetrics(whole, steps: 0...19)
    try whole.close()
    let crashed = try MetricsStore(runFolder: interrupted, flushInterval: .zero)
    try recordToyMetrics(crashed, steps: 0...14)
    try crashed.close()
    return (uninterrupted, interrupted)
}

/// Expects the metrics.h5 of `got` to hold the steps and, bit for bit, the series of `expected`.
private func expectSameStoredMetrics(_ got: String, _ expected: String) throws {
    let reference = try MetricsStore.read(expected + "/metrics.h5")
    let stored = try MetricsStore.read(got + "/metrics.h5")
    #expect(stored.steps == reference.steps)
    #expect(stored.series.keys.sorted() == reference.series.keys.sorted())
    for (name, values) in reference.series {
        #expect(sameValues(stored.series[name] ?? [], values), "\(name)")
    }
}

@Suite("Metrics store: continuing and resuming")
struct MetricsResumeTests {
    @Test("continuing keeps every row and appends after the last one, new series back-filled")
    func continuingAppends() throws {
        try withTemporaryDirectory { run in
            let first = try MetricsStore(runFolder: run)
            try first.record(step: 0, ["loss": 3])
            try first.record(step: 1, ["loss": 2])
            try first.close()

            let second = try MetricsStore(runFolder: run, start: .continuing)
            #expect(second.rowCount == 2 && second.lastStep == 1 && second.seriesNames == ["loss"])
            expectMetricsError(containing: "step 0 comes after step 1") { try second.record(step: 0, ["loss": 9]) }
            try second.record(step: 1, ["eval/fid": 50])     // joins the stored last row
            try second.record(step: 2, ["loss": 1])
            try second.close()
            try expectStoredTable(in: run, steps: [0, 1, 2],
                                  series: ["loss": [3, 2, 1], "eval/fid": [.nan, 50, .nan]], order: ["loss", "eval/fid"])
        }
    }

    @Test("resuming from step s keeps rows with step ≤ s and removes the later ones from both files")
    func resumingTruncates() throws {
        try withTemporaryDirectory { run in
            let first = try MetricsStore(runFolder: run)
            for step in Int64(0)...9 { try first.record(step: step * 2, ["loss": Double(step)]) }   // steps 0, 2, …, 18
            try first.close()

            let resumed = try MetricsStore(runFolder: run, start: .resuming(fromStep: 7))
            #expect(resumed.rowCount == 4 && resumed.lastStep == 6)
            try expectStoredTable(in: run, steps: [0, 2, 4, 6], series: ["loss": [0, 1, 2, 3]])
            try resumed.record(step: 7, ["loss": -1])
            try resumed.close()
            try expectStoredTable(in: run, steps: [0, 2, 4, 6, 7], series: ["loss": [0, 1, 2, 3, -1]])

            try MetricsStore(runFolder: run, start: .resuming(fromStep: 100)).close()   // beyond the last row: keeps all
            try expectStoredTable(in: run, steps: [0, 2, 4, 6, 7], series: ["loss": [0, 1, 2, 3, -1]])
            try MetricsStore(runFolder: run, start: .resuming(fromStep: 0)).close()
            try expectStoredTable(in: run, steps: [0], series: ["loss": [0]])
        }
    }

    @Test("resumed run equals uninterrupted run bit for bit: metrics.h5 contents and metrics.csv text")
    func resumedEqualsUninterrupted() throws {
        try withTemporaryDirectory { root in
            // The crashed run saved a checkpoint at step 10 and wrote metrics up to step 14.
            let (uninterrupted, interrupted) = try uninterruptedAndCrashedRuns(in: root)
            let resumed = try MetricsStore(runFolder: interrupted, start: .resuming(fromStep: 10), flushInterval: .zero)
            try recordToyMetrics(resumed, steps: 11...19)
            try resumed.close()

            try expectSameStoredMetrics(interrupted, uninterrupted)
            #expect(try MetricsStore.read(interrupted + "/metrics.h5").steps == Array(0...19))
            let expectedCSV = try String(contentsOfFile: uninterrupted + "/metrics.csv", encoding: .utf8)
            let gotCSV = try String(contentsOfFile: interrupted + "/metrics.csv", encoding: .utf8)
            #expect(gotCSV == expectedCSV)
            #expect(expectedCSV.hasPrefix("step,train/loss,train/lr,eval/fid,eval/nll\n0,1.0,0.001,100.0,nan\n"))
        }
    }

    @Test("opening to continue rewrites metrics.csv from metrics.h5, the reference after a crash")
    func continuingRepairsCSV() throws {
        try withTemporaryDirectory { run in
            let first = try MetricsStore(runFolder: run)
            try first.record(step: 0, ["a": 1, "b": 2])
            try first.record(step: 1, ["a": 3])
            try first.close()
            let intact = try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8)

            try Data("step,a,b\n0,1.0,2.0\n1,3".utf8).write(to: URL(fileURLWithPath: run + "/metrics.csv"))  // torn line
            try MetricsStore(runFolder: run, start: .continuing).close()
            #expect(try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8) == intact)

            try FileManager.default.removeItem(atPath: run + "/metrics.csv")
            try MetricsStore(runFolder: run, start: .continuing).close()
            #expect(try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8) == intact)
        }
    }
}

@Suite("Metrics store: resuming over a damaged metrics.h5")
struct MetricsRecoveryTests {
    /// Damages metrics.h5 in place the ways a kill inside a flush can: its second half lost, or
    /// garbage over its middle.
    enum Damage: CaseIterable { case truncated, overwritten }

    static func damage(_ path: String, _ kind: Damage) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        switch kind {
        case .truncated: bytes.removeLast(bytes.count / 2)
        case .overwritten:
            for i in (bytes.count / 3)..<(2 * bytes.count / 3) { bytes[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("a damaged metrics.h5 is rebuilt from metrics.csv; the resumed run equals the uninterrupted one bit for bit",
          arguments: Damage.allCases)
    func resumeRebuildsFromCSV(_ kind: Damage) throws {
        try withTemporaryDirectory { root in
            let (uninterrupted, interrupted) = try uninterruptedAndCrashedRuns(in: root)
            try Self.damage(interrupted + "/metrics.h5", kind)
            // The CSV's last line was cut short too.
            let csv = try String(contentsOfFile: interrupted + "/metrics.csv", encoding: .utf8)
            try Data((csv + "15,0.0625").utf8).write(to: URL(fileURLWithPath: interrupted + "/metrics.csv"))

            let resumed = try MetricsStore(runFolder: interrupted, start: .resuming(fromStep: 10), flushInterval: .zero)
            #expect(resumed.rowCount == 11 && resumed.lastStep == 10)
            try recordToyMetrics(resumed, steps: 11...19)
            try resumed.close()

            try expectSameStoredMetrics(interrupted, uninterrupted)
            #expect(try String(contentsOfFile: interrupted + "/metrics.csv", encoding: .utf8)
                    == String(contentsOfFile: uninterrupted + "/metrics.csv", encoding: .utf8))
            let kept = try FileManager.default.contentsOfDirectory(atPath: interrupted).filter { $0.hasPrefix("metrics.h5.damaged-") }
            #expect(kept.count == 1, "the damaged file is kept beside the rebuilt one: \(kept)")
        }
    }

    @Test("without metrics.csv a damaged metrics.h5 still fails the resume, and continuing never rebuilds")
    func noCSVNoRebuild() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run, flushInterval: .zero)
            try recordToyMetrics(store, steps: 0...6)
            try store.close()
            try Self.damage(run + "/metrics.h5", .truncated)
            #expect(throws: (any Error).self) { try MetricsStore(runFolder: run, start: .continuing) }
            try FileManager.default.removeItem(atPath: run + "/metrics.csv")
            #expect(throws: (any Error).self) { try MetricsStore(runFolder: run, start: .resuming(fromStep: 3)) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.contains("damaged") }.isEmpty)
        }
    }
}
