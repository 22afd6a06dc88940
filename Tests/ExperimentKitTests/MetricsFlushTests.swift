import ExperimentKit
import Foundation
import Testing

/// What is on disk while a store is open: `metrics.h5` read through a second, read-only HDF5 file
/// in this process (``MetricsStore/read(_:)``), the same bytes copied to another path and read
/// from there (libhdf5 shares an open file's cache within a process, the copy shows the disk
/// alone), and `metrics.csv`.
private struct OnDisk {
    var hdf5Steps: [Int64]
    var copiedSteps: [Int64]
    var csvSteps: [Int64]
    var hdf5Series: [String: [Double]]

    init(_ run: String) throws {
        let stored = try MetricsStore.read(run + "/metrics.h5")
        hdf5Steps = stored.steps
        hdf5Series = stored.series
        let copy = run + "/copy-\(UUID().uuidString).h5"
        try FileManager.default.copyItem(atPath: run + "/metrics.h5", toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        copiedSteps = try MetricsStore.read(copy).steps
        csvSteps = try ParsedCSV(path: run + "/metrics.csv").steps
    }

    /// The same steps in all three views.
    var steps: [Int64]? { hdf5Steps == copiedSteps && copiedSteps == csvSteps ? hdf5Steps : nil }
}

@Suite("Metrics store: flushing")
struct MetricsFlushTests {
    @Test("with flush interval 0 every record is on disk while the store is still open")
    func intervalZeroWritesEveryRecord() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run, flushInterval: .zero)
            #expect(try OnDisk(run).steps == [], "a new store is a valid, empty file on disk")
            for step in Int64(0)..<4 {
                try store.record(step: step * 10, ["train/loss": Double(step)])
                let disk = try OnDisk(run)
                #expect(disk.steps == (0...step).map { $0 * 10 }, "after recording step \(step * 10): \(disk)")
                #expect(disk.hdf5Series["train/loss"] == (0...step).map(Double.init))
            }
            try store.record(step: 30, ["eval/fid": 7])                 // joins the flushed row 30
            #expect(try OnDisk(run).hdf5Series["eval/fid"].map { sameValues($0, [.nan, .nan, .nan, 7]) } == true)
            #expect(try ParsedCSV(path: run + "/metrics.csv").series["eval/fid"].map { sameValues($0, [.nan, .nan, .nan, 7]) } == true)
            try store.record(step: 40, ["train/loss": 4])               // the store still writes after the reads
            try store.close()
            try expectStoredTable(in: run, steps: [0, 10, 20, 30, 40],
                                  series: ["train/loss": [0, 1, 2, 3, 4], "eval/fid": [.nan, .nan, .nan, 7, .nan]])
        }
    }

    @Test("with a long interval nothing beyond the last flush is on disk; flush() and close() write it")
    func longIntervalBuffers() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run, flushInterval: .seconds(3600))
            try store.record(step: 1, ["loss": 1])
            try store.record(step: 2, ["loss": 2])
            #expect(try OnDisk(run).steps == [])
            try store.flush()
            #expect(try OnDisk(run).steps == [1, 2])
            try store.record(step: 3, ["loss": 3, "new": 30])
            try store.record(step: 3, ["other": 300])
            #expect(try OnDisk(run).steps == [1, 2])
            #expect(try OnDisk(run).hdf5Series.keys.sorted() == ["loss"])
            try store.close()
            #expect(try OnDisk(run).steps == [1, 2, 3])
            try expectStoredTable(in: run, steps: [1, 2, 3],
                                  series: ["loss": [1, 2, 3], "new": [.nan, .nan, 30], "other": [.nan, .nan, 300]])
        }
    }

    @Test("a record after the interval has passed flushes everything pending")
    func intervalTriggersFlush() throws {
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run, flushInterval: .seconds(1))
            try store.record(step: 1, ["loss": 1])
            #expect(try OnDisk(run).steps == [], "the interval has not passed yet")
            Thread.sleep(forTimeInterval: 1.1)
            try store.record(step: 2, ["loss": 2])
            #expect(try OnDisk(run).steps == [1, 2])
            try store.close()
        }
    }

    @Test("dropping a store without close() still writes its rows")
    func deinitFlushes() throws {
        try withTemporaryDirectory { run in
            do {
                let store = try MetricsStore(runFolder: run, flushInterval: .seconds(3600))
                try store.record(step: 1, ["loss": 1])
            }
            try expectStoredTable(in: run, steps: [1], series: ["loss": [1]])
        }
    }
}
