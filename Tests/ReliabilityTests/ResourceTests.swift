import CLIProcess
import ExperimentKit
import Foundation
import Testing

/// Item 6 of the reliability issue: a long run's resident memory stays flat (a leak check over
/// 10 000 real training steps, not a timing test), and metrics reach the disk at least every flush
/// interval, so `kill -9` loses at most that window.
@Suite("Reliability: memory over a long run and metrics flushing")
struct ResourceTests {
    @Test("resident memory over 10 000 tiny training steps grows < 10 MB from the first 10% to the end")
    func residentMemoryStaysFlat() throws {
        let base = try Reliability.folder("memory")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let steps = 10_000
        let child = try CLIChild(["train", "--preset", "ict", "--steps", "\(steps)", "--checkpoint-every", "1000", "--seed", "2",
                                  "--width", "4", "--depth", "1", "--batch-size", "2", "--run-dir", "run"], in: base)
        defer { child.send(SIGKILL) }
        // (last progress step seen, VmRSS) every 20 ms; progress lines come every 1000 steps.
        var samples: [(step: Int, bytes: Int)] = []
        while child.isRunning {
            let text = child.standardErrorSoFar()
            let step = text.components(separatedBy: "step ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }.last ?? 0
            if let bytes = Reliability.residentBytes(of: child.processIdentifier) { samples.append((step, bytes)) }
            usleep(20_000)
        }
        let result = try child.wait(timeout: 10)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("step \(steps)/\(steps)"), "the run did not complete \(steps) steps: \(result.standardError)")
        let early = samples.filter { $0.step >= steps / 10 }
        let baseline = try #require(early.first, "no memory sample after 10% of the run (\(samples.count) samples)")
        let peak = early.map(\.bytes).max() ?? baseline.bytes
        let growth = peak - baseline.bytes
        FileHandle.standardError.write(Data(String(format: "reliability memory: VmRSS %.1f MB at step %d (10%%), peak %.1f MB after it, growth %.2f MB over %d samples\n",
                                                   Double(baseline.bytes) / 1e6, baseline.step, Double(peak) / 1e6, Double(growth) / 1e6, early.count).utf8))
        #expect(growth < 10_000_000, "resident memory grew by \(growth) bytes from step \(baseline.step) to the end")
    }

    @Test("metrics reach the disk at least every flush interval (5 s); after kill -9 metrics.h5 is readable and holds every row seen on disk")
    func metricsFlushedWithinTheInterval() throws {
        let base = try Reliability.folder("flush")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let child = try CLIChild(["train", "--preset", "ict", "--steps", "100000000", "--checkpoint-every", "100000000", "--seed", "2",
                                  "--width", "4", "--depth", "1", "--batch-size", "2", "--run-dir", "run"], in: base)
        defer { child.send(SIGKILL) }
        let csvPath = base + "/run/metrics.csv"
        // The clock starts when the metrics store opens (it writes the CSV header), i.e. when training starts.
        #expect(child.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: csvPath) })
        let started = Date()
        var lastStepOnDisk: Int64 = -1
        var changes: [Date] = [started]
        while Date().timeIntervalSince(started) < 12.5 && child.isRunning {
            if let last = Self.lastLine(of: csvPath), let step = Int64(last.prefix { $0.isNumber }), step > lastStepOnDisk {
                lastStepOnDisk = step
                changes.append(Date())
            }
            usleep(50_000)
        }
        child.send(SIGKILL)
        let result = try child.wait(timeout: 10)
        #expect(result.endedBySignal, "the run ended before the kill: \(result.standardError)")
        let gaps = zip(changes, changes.dropFirst()).map { $1.timeIntervalSince($0) }
        FileHandle.standardError.write(Data("reliability flush: metrics.csv advanced \(changes.count - 1) times in 12.5 s, largest gap \(String(format: "%.2f", gaps.max() ?? 0)) s, last step on disk \(lastStepOnDisk)\n".utf8))
        #expect(changes.count - 1 >= 2, "metrics reached the disk \(changes.count - 1) times in 12.5 s")
        #expect((gaps.max() ?? 0) < 5 + 2.5, "metrics stayed in memory for \(gaps.max() ?? 0) s (flush interval 5 s)")
        // After the kill: metrics.h5 opens and holds at least every row that was on disk before it.
        let stored = try MetricsStore.read(base + "/run/" + MetricsStore.hdf5FileName)
        #expect((stored.steps.last ?? -1) >= lastStepOnDisk)
        #expect(stored.steps == Array(1...Int64(stored.steps.count)), "the rows are not the steps 1…n")
    }

    /// The last complete line of a growing text file, read from its last 4 KB (the file grows to many MB).
    static func lastLine(of path: String) -> Substring? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > 0 else { return nil }
        try? handle.seek(toOffset: size > 4096 ? size - 4096 : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last
    }
}
