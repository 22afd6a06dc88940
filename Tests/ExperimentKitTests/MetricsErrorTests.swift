import ExperimentKit
import Foundation
import HDF5
import Testing

@Suite("Metrics store: bad input gets a clear error and changes nothing")
struct MetricsErrorTests {
    @Test("series names with empty or dot parts, commas, quotes, control characters or the reserved 'step' are rejected",
          arguments: [
              ("", "the name is empty"),
              ("train/", "must be non-empty"),
              ("/loss", "must be non-empty"),
              ("train//loss", "must be non-empty"),
              ("train/./loss", "'.' is not allowed"),
              ("../loss", "'..' is not allowed"),
              ("loss,acc", "',' is not allowed"),
              ("say \"hi\"", "'\"' is not allowed"),
              ("two\nlines", "control character U+A"),
              ("step", "reserved for the step series"),
              ("step/size", "reserved for the step series"),
          ])
    func invalidNames(name: String, fragment: String) throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run)
            expectMetricsError(containing: fragment) { try store.record(step: 0, [name: 1, "fine": 2]) }
            #expect(store.rowCount == 0 && store.seriesNames.isEmpty, "a rejected record changes nothing")
            try store.close()
            try expectStoredTable(in: run, steps: [], series: [:])
        }
    }

    @Test("a series that would be a group of another (or inside one) is rejected")
    func conflictingNames() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run)
            try store.record(step: 0, ["train/loss": 1])
            expectMetricsError(containing: "'train/loss' and 'train' cannot both exist") {
                try store.record(step: 1, ["train": 1])
            }
            expectMetricsError(containing: "'train/loss' and 'train/loss/x' cannot both exist") {
                try store.record(step: 1, ["train/loss/x": 1])
            }
            expectMetricsError(containing: "'eval' and 'eval/fid' cannot both exist") {
                try store.record(step: 1, ["eval": 1, "eval/fid": 2])
            }
            try store.record(step: 1, ["train/lossy": 2, "trainer": 3])  // prefixes of names, not of groups
            try store.close()
            try expectStoredTable(in: run, steps: [0, 1],
                                  series: ["train/loss": [1, .nan], "train/lossy": [.nan, 2], "trainer": [.nan, 3]])
        }
    }

    @Test("steps must be ≥ 0, fit in Int64 and never decrease")
    func invalidSteps() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run)
            expectMetricsError(containing: "step -1 is negative") { try store.record(step: -1, ["x": 1]) }
            expectMetricsError(containing: "does not fit in Int64") { try store.record(step: UInt64.max, ["x": 1]) }
            try store.record(step: 10, ["x": 1])
            expectMetricsError(containing: "step 9 comes after step 10") { try store.record(step: 9, ["x": 2]) }
            try store.flush()
            expectMetricsError(containing: "step 3 comes after step 10") { try store.record(step: 3, ["y": 2]) }
            #expect(store.seriesNames == ["x"], "a rejected record adds no series")
            try store.close()
            try expectStoredTable(in: run, steps: [10], series: ["x": [1]])
        }
    }

    @Test("a fresh store never replaces existing files; .replacing does")
    func freshDoesNotReplace() throws {
        try withTemporaryDirectory { run in
            let first = try MetricsStore(runFolder: run)
            try first.record(step: 0, ["x": 1])
            try first.close()
            expectMetricsError(containing: "metrics.h5 already exists; open it with .continuing") {
                _ = try MetricsStore(runFolder: run)
            }
            try expectStoredTable(in: run, steps: [0], series: ["x": [1]])
            try MetricsStore(runFolder: run, start: .replacing).close()
            try expectStoredTable(in: run, steps: [], series: [:])
        }
    }

    @Test("continuing needs a metrics file: missing, foreign HDF5 and non-HDF5 files are refused by name")
    func notAMetricsFile() throws {
        try withTemporaryDirectory { run in
            expectMetricsError(containing: "does not exist, so there is no metrics file to continue") {
                _ = try MetricsStore(runFolder: run, start: .continuing)
            }
            let other = try HDF5File(run + "/metrics.h5", mode: .truncate)
            try other.setAttribute("format", "consistency-td.checkpoint")
            try other.close()
            expectMetricsError(containing: "not a metrics file: its root attribute format is 'consistency-td.checkpoint'") {
                _ = try MetricsStore(runFolder: run, start: .resuming(fromStep: 0))
            }
            expectMetricsError(containing: "format is missing, expected 'consistency-td.metrics'") {
                try HDF5File(run + "/metrics.h5", mode: .truncate).close()
                _ = try MetricsStore.read(run + "/metrics.h5")
            }
            try Data("step,x\n0,1.0\n".utf8).write(to: URL(fileURLWithPath: run + "/metrics.h5"))
            do {
                _ = try MetricsStore(runFolder: run, start: .continuing)
                Issue.record("a text file named metrics.h5 was opened as a metrics file")
            } catch let error as HDF5Error {
                #expect(error.kind == .notAnHDF5File, "\(error)")
            }
        }
    }

    @Test("a negative flush interval or resume step is refused; a closed store refuses to record")
    func configurationAndClosed() throws {
        try withTemporaryDirectory { run in
            expectMetricsError(containing: "flushInterval") {
                _ = try MetricsStore(runFolder: run, flushInterval: .seconds(-1))
            }
            expectMetricsError(containing: "resume step -5 is negative") {
                _ = try MetricsStore(runFolder: run, start: .resuming(fromStep: -5))
            }
            let store = try MetricsStore(runFolder: run)
            try store.close()
            try store.close()
            expectMetricsError(containing: "is closed") { try store.record(step: 0, ["x": 1]) }
            expectMetricsError(containing: "is closed") { try store.flush() }
        }
    }
}
