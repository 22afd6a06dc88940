// A test helper, not a tool: streams synthetic episodes (K = 18, D = 2) into a trajectory dataset
// at the given path with chunks (commits) of C episodes.
//
//     TrajectoryStreamWriter <path> <episodes> <chunk episodes> [--seed S] [--report-commits] [--pause-microseconds U]
//
// Episode i is a fixed function of (i, S) (S = 0 by default), so two runs with the same seed write
// the same episodes. Without options it writes, finishes, and prints "peak_rss_kib <n>" (getrusage
// ru_maxrss) and "buffered_max <n>" — the memory test runs it at two sizes and compares the peaks.
// With --report-commits it prints "committed <n>" (unbuffered) each time a commit completes, and
// --pause-microseconds sleeps after every episode: the crash tests wait for the k-th commit line
// and kill -9 it mid-stream.
import Foundation
import Replay

var arguments = Array(CommandLine.arguments.dropFirst())
var seed = 0, pauseMicroseconds: UInt32 = 0, reportCommits = false
var positional: [String] = []
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--seed": seed = Int(arguments.first ?? "") ?? -1; arguments = Array(arguments.dropFirst())
    case "--pause-microseconds": pauseMicroseconds = UInt32(arguments.first ?? "") ?? 0; arguments = Array(arguments.dropFirst())
    case "--report-commits": reportCommits = true
    default: positional.append(argument)
    }
}
guard positional.count == 3, let count = Int(positional[1]), let chunk = Int(positional[2]), seed >= 0 else {
    FileHandle.standardError.write(Data("usage: TrajectoryStreamWriter <path> <episodes> <chunk episodes> [--seed S] [--report-commits] [--pause-microseconds U]\n".utf8))
    exit(2)
}
let steps = 18, dimension = 2
let times = (0...steps).map { 80.0 * pow(0.002 / 80.0, Double($0) / Double(steps)) }
let metadata = TrajectoryDatasetMetadata(environment: "{}", solver: "none", estimator: "synthetic", timeGrid: "geometric",
                                         seed: UInt64(seed), createdUTC: "2026-01-01T00:00:00Z")
let writer = try TrajectoryDatasetWriter(path: positional[0], metadata: metadata, dimension: dimension, times: times,
                                         chunkEpisodes: chunk)
var bufferedMaximum = 0, reported = 0
for i in 0..<count {
    var observations = [Float](repeating: 0, count: (steps + 1) * dimension)
    for j in observations.indices { observations[j] = Float((i &* 31 &+ j &+ seed &* 7) % 1000) * 0.01 }
    var rewards = [Float](repeating: 0, count: steps * dimension)
    for j in rewards.indices { rewards[j] = observations[j + dimension] - observations[j] }
    let episode = try Episode(dimension: dimension, times: times, observations: observations,
                              actions: Array(observations[dimension...]), rewards: rewards,
                              terminations: (0..<steps).map { $0 == steps - 1 },
                              truncations: [Bool](repeating: false, count: steps), seed: UInt64(i))
    try writer.append(episode)
    bufferedMaximum = max(bufferedMaximum, writer.bufferedEpisodeCount)
    if reportCommits, writer.committedEpisodeCount != reported {
        reported = writer.committedEpisodeCount
        FileHandle.standardOutput.write(Data("committed \(reported)\n".utf8))
    }
    if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
}
try writer.finish()
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print("peak_rss_kib \(usage.ru_maxrss)")
print("buffered_max \(bufferedMaximum)")
