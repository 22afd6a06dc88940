import Foundation
import Replay
import Testing

/// The `TrajectoryStreamWriter` helper built beside the test bundle.
private func streamWriterURL() throws -> URL {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent("TrajectoryStreamWriter")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw ReplayError("the TrajectoryStreamWriter helper is not built next to \(directory.path); build with --build-tests")
}

/// Runs the helper and returns (peak RSS in KiB, largest buffered episode count).
private func streamedWrite(episodes: Int, chunk: Int) throws -> (peakKiB: Int, buffered: Int) {
    let path = try temporaryFolder("memory-\(episodes)") + "/t.h5"
    let process = Process()
    process.executableURL = try streamWriterURL()
    process.arguments = [path, "\(episodes)", "\(chunk)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ReplayError("the stream writer failed: \(output)") }
    let dataset = try TrajectoryDataset(path: path)
    guard dataset.episodeCount == episodes else { throw ReplayError("wrote \(dataset.episodeCount) of \(episodes) episodes") }
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    func value(_ key: String) -> Int {
        output.split(separator: "\n").first { $0.hasPrefix(key + " ") }.flatMap { Int($0.split(separator: " ")[1]) } ?? -1
    }
    return (value("peak_rss_kib"), value("buffered_max"))
}

@Suite("Streamed writing keeps memory bounded")
struct StreamingMemoryTests {
    /// 100 000 episodes of K = 18, D = 2 are ≈ 50 MB of arrays (observations, actions, rewards,
    /// flags, seeds); the writer holds one chunk of 1024 episodes (≈ 0.5 MB) plus libhdf5's bounded
    /// chunk caches. The peak RSS of a process writing 100 000 episodes must stay within 16 MiB of
    /// one writing 2 000 — it would grow by ≈ 50 MB if the episodes were kept.
    @Test("peak RSS writing 100 000 episodes is within 16 MiB of writing 2 000 (the data is ≈ 50 MB)")
    func peakMemoryIndependentOfEpisodeCount() throws {
        let small = try streamedWrite(episodes: 2_000, chunk: 1024)
        let large = try streamedWrite(episodes: 100_000, chunk: 1024)
        #expect(small.buffered <= 1024 && large.buffered <= 1024)
        #expect(large.peakKiB - small.peakKiB < 16 * 1024, "peak RSS \(small.peakKiB) KiB → \(large.peakKiB) KiB")
    }
}
