import ExperimentKit
import Foundation
import HDF5
import Testing

@Suite("Metrics store: rows, series and layout")
struct MetricsRoundTripTests {
    @Test("rows written are read back equal, bit for bit, from metrics.h5 and metrics.csv")
    func rowsRoundTrip() throws {
        try withTemporaryDirectory { run in
            let losses: [Double] = [2.5, 1.0 / 3.0, -0.0, 1e-300, 6.02214076e23]
            let rates: [Double] = [0.1, 1e-5, .infinity, -.infinity, .leastNonzeroMagnitude]
            let steps: [Int64] = [0, 1, 10, 1_000, 1 << 40]
            let store = try MetricsStore(runFolder: run)
            for (row, step) in steps.enumerated() {
                try store.record(step: step, ["train/loss": losses[row], "lr": rates[row]])
            }
            #expect(store.rowCount == 5 && store.lastStep == 1 << 40)
            try store.close()
            try expectStoredTable(in: run, steps: steps, series: ["train/loss": losses, "lr": rates],
                                  order: ["lr", "train/loss"])
        }
    }

    @Test("metrics.h5 layout: /scalars/<group>/<name> float64 and /scalars/step int64, extendible, chunked, gzip; format attributes")
    func layout() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run)
            try store.record(step: 3, ["train/loss": 1, "eval/fid/ema0.999": 2, "lr": 3])
            try store.close()

            let file = try HDF5File(run + "/metrics.h5")
            #expect(try file.stringAttribute("format") == "consistency-td.metrics")
            #expect(try file.attribute("format_version", as: Int64.self) == 1)
            let created = try file.stringAttribute("created_utc")
            #expect(created.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil, "\(created)")
            #expect(try file.stringArrayAttribute("series_names") == ["eval/fid/ema0.999", "lr", "train/loss"])
            #expect(try file.openGroup("scalars/train").members() == [HDF5Member(name: "loss", kind: .dataset, link: .hard)])
            let step = try file.openDataset("scalars/step")
            #expect(try step.elementType() == .int64)
            #expect(try step.read(as: Int64.self) == [3])
            for path in ["scalars/train/loss", "scalars/eval/fid/ema0.999", "scalars/lr"] {
                let dataset = try file.openDataset(path)
                #expect(try dataset.elementType() == .float64, "\(path)")
                #expect(try dataset.shape() == [1], "\(path)")
                #expect(try dataset.maxShape() == [nil], "\(path)")
                #expect(try dataset.chunkShape() == [1024], "\(path)")
                #expect(try dataset.filters() == [.shuffle, .gzip(level: 1)], "\(path)")
            }
            #expect(try file.openDataset("scalars/lr").read(as: Double.self) == [3])
            try file.close()
        }
    }

    @Test("a series first seen after some rows is back-filled with NaN, and a missing series gets NaN, in both files")
    func backFill() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run, flushInterval: .seconds(3600))
            try store.record(step: 0, ["a": 1])
            try store.record(step: 1, ["a": 2])
            try store.flush()                                   // "b" appears after flushed rows…
            try store.record(step: 2, ["a": 3, "b": 30])
            try store.record(step: 3, ["b": 40, "c/x": 400])    // …"c/x" after a pending row
            try store.record(step: 4, ["a": 5])
            try store.close()
            let nan = Double.nan
            try expectStoredTable(
                in: run, steps: [0, 1, 2, 3, 4],
                series: ["a": [1, 2, 3, nan, 5], "b": [nan, nan, 30, 40, nan], "c/x": [nan, nan, nan, 400, nan]],
                order: ["a", "b", "c/x"])
            let csv = try ParsedCSV(path: run + "/metrics.csv")
            #expect(csv.text == "step,a,b,c/x\n0,1.0,nan,nan\n1,2.0,nan,nan\n2,3.0,30.0,nan\n3,nan,40.0,400.0\n4,5.0,nan,nan\n")
        }
    }

    @Test("columns keep first-seen order across calls; names new in one call are sorted")
    func columnOrder() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run)
            try store.record(step: 0, ["zeta": 1, "alpha": 2])
            try store.record(step: 1, ["middle": 3, "alpha": 4])
            #expect(store.seriesNames == ["alpha", "zeta", "middle"])
            try store.close()
            #expect(try ParsedCSV(path: run + "/metrics.csv").seriesNames == ["alpha", "zeta", "middle"])
            let reopened = try MetricsStore(runFolder: run, start: .continuing)
            #expect(reopened.seriesNames == ["alpha", "zeta", "middle"])
            try reopened.close()
        }
    }

    @Test("recording the same step again adds series to that row, whether or not it was flushed")
    func sameStepJoinsRow() throws {
        for interval in [Duration.zero, .seconds(3600)] {
            try withTemporaryDirectory { run in
                let store = try MetricsStore(runFolder: run, flushInterval: interval)
                try store.record(step: 1, ["train/loss": 0.5])
                try store.record(step: 2, ["train/loss": 0.25])
                try store.record(step: 2, ["eval/fid": 12])                     // joins row 2
                try store.record(step: 2, ["eval/fid": 12, "eval/nll": 3])      // same value again: allowed
                try store.record(step: 3, ["train/loss": 0.125])
                try store.record(step: 3, ["eval/nll": 2])
                try store.record(step: 3, ["train/loss": 0.125])
                expectMetricsError(containing: "already holds 0.125 at step 3") {
                    try store.record(step: 3, ["train/loss": 0.1])
                }
                #expect(store.rowCount == 3)
                try store.close()
                let nan = Double.nan
                try expectStoredTable(
                    in: run, steps: [1, 2, 3],
                    series: ["train/loss": [0.5, 0.25, 0.125], "eval/fid": [nan, 12, nan], "eval/nll": [nan, 3, 2]],
                    order: ["train/loss", "eval/fid", "eval/nll"])
            }
        }
    }

    @Test("an empty record adds a row of NaN")
    func emptyRecord() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run)
            try store.record(step: 0, ["x": 1])
            try store.record(step: 5, [:])
            try store.close()
            try expectStoredTable(in: run, steps: [0, 5], series: ["x": [1, .nan]])
        }
    }
}
