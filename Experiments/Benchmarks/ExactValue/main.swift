// consistency-td-exact-value-bench: times the exact consistency function f*(x, t) — the PF-ODE
// solved from t = 80 to t_min = 0.002 by adaptive Dormand–Prince 5(4) in log-time at tolerance 1e-9 —
// for points of the 2-D ring of 8 Gaussians (radius 2, std 0.1), the benchmark of BENCHMARK.md §2.
// `peers/exact_value_scipy.py` solves the same points with scipy's solve_ivp(DOP853):
//
//     python3 Experiments/Benchmarks/peers/exact_value_scipy.py --write-raw /tmp/ring
//     swift run -c release consistency-td-exact-value-bench --points /tmp/ring.points.f64 \
//         --reference /tmp/ring.results.f64
import Dispatch
import Environments
import Foundation
import Tensors

var pointsPath: String?, referencePath: String?
var count = 10_000, repetitions = 3, threads = 1, groupSize = 64
var arguments = CommandLine.arguments.dropFirst().makeIterator()
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}
while let argument = arguments.next() {
    switch argument {
    case "--points": pointsPath = arguments.next()
    case "--reference": referencePath = arguments.next()
    case "--count": count = Int(arguments.next() ?? "") ?? count
    case "--repetitions": repetitions = Int(arguments.next() ?? "") ?? repetitions
    case "--threads": threads = max(1, Int(arguments.next() ?? "") ?? threads)
    case "--group-size": groupSize = max(1, Int(arguments.next() ?? "") ?? groupSize)
    case "--help", "-h":
        print("usage: consistency-td-exact-value-bench [--points FILE.f64] [--reference FILE.f64] [--count N] [--repetitions R] [--threads T] [--group-size G]")
        exit(0)
    default: fail("unknown option \(argument); see --help")
    }
}

func readDoubles(_ path: String) -> [Double] {
    guard let data = FileManager.default.contents(atPath: path), data.count % 8 == 0, !data.isEmpty else {
        fail("\(path) is missing or is not raw float64 data")
    }
    return data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
}

let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
let points: [Double]
if let pointsPath {
    points = readDoubles(pointsPath)
    count = points.count / 2
} else {
    var stream = RandomStream(seed: 0, purpose: "exact-value-bench")
    var data = ring.sample(count: count, stream: &stream) as [Double]
    for i in data.indices { data[i] += 80 * stream.nextNormal() }
    points = data
}
let exact = try ExactValue(distribution: ring, minimumTime: 0.002,
                       solver: DormandPrinceSolver(relativeTolerance: 1e-9, absoluteTolerance: 1e-9, groupSize: groupSize))

/// f* for all points, split into `threads` contiguous shares solved concurrently.
func solveAll(_ points: [Double], threads: Int, exact: ExactValue<GaussianMixture>) throws -> [Double] {
    let count = points.count / 2
    let shares = (0..<threads).map { lane -> Range<Int> in
        let base = count / threads, extra = count % threads
        let start = lane * base + min(lane, extra)
        return start..<(start + base + (lane < extra ? 1 : 0))
    }
    final class Results: @unchecked Sendable {
        var parts: [[Double]]
        var error: Error?
        init(_ n: Int) { parts = Array(repeating: [], count: n) }
    }
    let results = Results(threads)
    DispatchQueue.concurrentPerform(iterations: threads) { lane in
        let share = shares[lane]
        do {
            results.parts[lane] = try exact.consistency(Array(points[(2 * share.lowerBound)..<(2 * share.upperBound)]), time: 80)
        } catch {
            results.error = error
        }
    }
    if let error = results.error { throw error }
    return results.parts.flatMap { $0 }
}

var times: [Double] = []
var results: [Double] = []
for _ in 0..<max(1, repetitions) {
    let start = DispatchTime.now().uptimeNanoseconds
    results = try solveAll(points, threads: threads, exact: exact)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
let median = times.sorted()[times.count / 2]
print("f* for \(count) points of the ring of 8 (t 80 → 0.002, Dormand–Prince 5(4), tolerance 1e-9, groups of \(groupSize), \(threads) thread\(threads == 1 ? "" : "s"))")
print(String(format: "  median %.3f s over %d runs (%.1f µs per point)", median, times.count, median / Double(count) * 1e6))
if let referencePath {
    let reference = readDoubles(referencePath)
    guard reference.count == results.count else { fail("the reference holds \(reference.count / 2) points, not \(count)") }
    let worst = zip(results, reference).map { abs($0 - $1) }.max() ?? 0
    print(String(format: "  max |f* − scipy| = %.3g", worst))
}
