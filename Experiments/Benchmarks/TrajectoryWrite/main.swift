// consistency-td-trajectory-bench: times writing a compact trajectory dataset of N episodes
// (default N = 100 000, K = 18, D = 2; BENCHMARK.md §2) with TrajectoryDatasetWriter — chunks of
// 1024 episodes, shuffle + gzip 4 + Fletcher-32, extendible along N — from episodes already in
// memory, alternating with the h5py peer (trajectory_write_h5py.py beside this file: the same
// arrays, the same chunking and filters, one process per repetition, timing only the write), and
// prints both medians, the writer's processor time and the median of the per-pair ratios.
//
// The two write the same format by different routes: the writer encodes each commit's chunks
// itself — shuffle, gzip by libdeflate at level 4, Fletcher-32 — on `--threads` threads (default:
// the writer's `encodingThreads`) and stores them with H5Dwrite_chunk (libhdf5 1.10.8); h5py passes
// the arrays through its libhdf5's own filter pipeline (zlib) on one thread. On a machine shared
// with other work the scheduler may give this process about one core whatever the thread count;
// the processor-time line shows how much of the wall time that was. `--python` picks the interpreter.
//
//     swift run -c release consistency-td-trajectory-bench [--episodes N] [--repetitions R] [--python PATH] [--threads T]
import Foundation
import HDF5
import Replay

enum HDF5LibraryVersion { static var text: String { HDF5Library.version } }

struct Options {
    var episodes = 100_000
    var repetitions = 5
    var python = "/usr/bin/python3"
    var directory = NSTemporaryDirectory()
    var threads: Int?
}

func parseOptions(_ arguments: [String]) -> Options {
    var options = Options()
    var index = 1
    while index < arguments.count {
        let value = index + 1 < arguments.count ? arguments[index + 1] : ""
        switch arguments[index] {
        case "--episodes": options.episodes = Int(value) ?? options.episodes
        case "--repetitions": options.repetitions = Int(value) ?? options.repetitions
        case "--python": options.python = value
        case "--directory": options.directory = value
        case "--threads": options.threads = Int(value)
        default:
            print("usage: consistency-td-trajectory-bench [--episodes N] [--repetitions R] [--python PATH] [--directory DIR] [--threads T]")
            exit(2)
        }
        index += 2
    }
    return options
}

/// Deterministic arrays shared with the peer: x_k = sin(0.001·(i·(K+1)·D + k·D + d)) · t_k-scale.
func makeEpisodes(count: Int, steps: Int, dimension: Int, times: [Double]) throws -> [Episode] {
    try (0..<count).map { i in
        var observations = [Float](repeating: 0, count: (steps + 1) * dimension)
        for k in 0...steps {
            for d in 0..<dimension {
                let flat = (i * (steps + 1) + k) * dimension + d
                observations[k * dimension + d] = Float(sin(0.001 * Double(flat)) * times[k])
            }
        }
        var rewards = [Float](repeating: 0, count: steps * dimension)
        for j in rewards.indices { rewards[j] = observations[j + dimension] - observations[j] }
        return try Episode(dimension: dimension, times: times, observations: observations,
                           actions: Array(observations[dimension...]), rewards: rewards,
                           terminations: (0..<steps).map { $0 == steps - 1 },
                           truncations: [Bool](repeating: false, count: steps), seed: UInt64(i))
    }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Processor time (user + system) of this process so far, every thread included.
func processorSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func run(_ options: Options) throws {
    let steps = 18, dimension = 2
    let times = (0...steps).map { 80.0 * pow(0.002 / 80.0, Double($0) / Double(steps)) }
    let episodes = try makeEpisodes(count: options.episodes, steps: steps, dimension: dimension, times: times)
    let metadata = TrajectoryDatasetMetadata(environment: "{}", solver: "none", estimator: "benchmark", timeGrid: "geometric",
                                             seed: 0)
    let path = (options.directory as NSString).appendingPathComponent("consistency-td-trajectory-bench.h5")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("trajectory_write_h5py.py").path
    // The machine is shared and drifts: each repetition times the Swift writer and then one h5py run,
    // so the two are compared over the same minutes.
    var swiftSeconds: [Double] = [], peerSeconds: [Double] = [], ratios: [Double] = [], swiftProcessorSeconds: [Double] = []
    var peerDescription = ""
    var size = 0
    for _ in 0..<options.repetitions {
        try? FileManager.default.removeItem(atPath: path)
        let cpuStart = processorSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let writer = try TrajectoryDatasetWriter(path: path, metadata: metadata, dimension: dimension, times: times,
                                                 chunkEpisodes: 1024, gzipLevel: 4, fletcher32: true)
        if let threads = options.threads { writer.encodingThreads = threads }
        try writer.append(contentsOf: episodes)
        try writer.finish()
        let swiftTime = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        swiftProcessorSeconds.append(processorSeconds() - cpuStart)
        size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        try? FileManager.default.removeItem(atPath: path)
        let (peerTime, description) = try runPeer(options, script: script)
        swiftSeconds.append(swiftTime)
        guard let peerTime else {
            print("the h5py peer did not report a time; is h5py installed for \(options.python)?\n\(description)")
            continue
        }
        peerSeconds.append(peerTime)
        ratios.append(peerTime / swiftTime)
        peerDescription = description
    }
    func list(_ values: [Double]) -> String { values.map { String(format: "%.3f", $0) }.joined(separator: ", ") }
    print(String(format: "swift  N=%d K=%d D=%d: median %.3f s (%@), file %.1f MB, libhdf5 %@", options.episodes, steps,
                 dimension, median(swiftSeconds), list(swiftSeconds), Double(size) / 1e6, HDF5LibraryVersion.text))
    print(String(format: "swift  processor time (user + system, all threads): median %.3f s (%@)", median(swiftProcessorSeconds),
                 list(swiftProcessorSeconds)))
    guard !ratios.isEmpty else { return }
    print(String(format: "h5py   median %.3f s (%@); %@", median(peerSeconds), list(peerSeconds), peerDescription))
    print(String(format: "ratio h5py time / swift time, per interleaved pair: median %.2f× (%@)  (target ≥ 1×)",
                 median(ratios), list(ratios)))
}

/// One run of the h5py peer: its time and its description line.
func runPeer(_ options: Options, script: String) throws -> (Double?, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: options.python)
    process.arguments = [script, "--episodes", "\(options.episodes)", "--repetitions", "1", "--directory", options.directory]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let lines = output.split(separator: "\n")
    let time = lines.first { $0.hasPrefix("h5py_median_s ") }.flatMap { Double($0.split(separator: " ")[1]) }
    let description = lines.first { $0.hasPrefix("h5py ") }.map { String($0.split(separator: ",").suffix(2).joined(separator: ",")) } ?? output
    return (time, description.trimmingCharacters(in: .whitespaces))
}

try run(parseOptions(CommandLine.arguments))
