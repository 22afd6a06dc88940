// A test helper, not a tool: streams N synthetic episodes (K = 18, D = 2) into a trajectory dataset
// at the given path with chunks of C episodes, then prints "peak_rss_kib <n>" (getrusage ru_maxrss)
// and "buffered_max <n>". The memory test runs it at two sizes and compares the peaks.
import Foundation
import Replay

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[2]), let chunk = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: TrajectoryStreamWriter <path> <episodes> <chunk episodes>\n".utf8))
    exit(2)
}
let steps = 18, dimension = 2
let times = (0...steps).map { 80.0 * pow(0.002 / 80.0, Double($0) / Double(steps)) }
let metadata = TrajectoryDatasetMetadata(environment: "{}", solver: "none", estimator: "synthetic", timeGrid: "geometric",
                                         seed: 1)
let writer = try TrajectoryDatasetWriter(path: arguments[1], metadata: metadata, dimension: dimension, times: times,
                                         chunkEpisodes: chunk)
var bufferedMaximum = 0
for i in 0..<count {
    var observations = [Float](repeating: 0, count: (steps + 1) * dimension)
    for j in observations.indices { observations[j] = Float((i &* 31 &+ j) % 1000) * 0.01 }
    var rewards = [Float](repeating: 0, count: steps * dimension)
    for j in rewards.indices { rewards[j] = observations[j + dimension] - observations[j] }
    let episode = try Episode(dimension: dimension, times: times, observations: observations,
                              actions: Array(observations[dimension...]), rewards: rewards,
                              terminations: (0..<steps).map { $0 == steps - 1 },
                              truncations: [Bool](repeating: false, count: steps), seed: UInt64(i))
    try writer.append(episode)
    bufferedMaximum = max(bufferedMaximum, writer.bufferedEpisodeCount)
}
try writer.finish()
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print("peak_rss_kib \(usage.ru_maxrss)")
print("buffered_max \(bufferedMaximum)")
