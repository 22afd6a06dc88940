import AllocationCounter
import ArgumentParser
import Dispatch
import Foundation
import Tensors
import VarianceReduction

/// `consistency-td-score-identity-bench`: times the score-identity targets of SCT (METHODS.md §3.4,
/// BENCHMARK.md §2): D̂ for B queries against a shared reference set of N points in D dimensions,
/// Float32, by ``FastScoreIdentityDenoiser``. `score_identity_jax.py` beside this file computes the same
/// targets with a jit-compiled JAX function; run both in the same session and compare medians.
struct ScoreIdentityBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency-td-score-identity-bench",
        abstract: "Time the score-identity denoiser targets (B queries, shared reference set of N, dimension D, Float32).",
        discussion: """
            For each thread count it prints the median time of one batched estimate over --repeats timed \
            calls after --warmup untimed ones, the time of its one sgemm (E·X₀) alone, and heap allocations \
            per call after warm-up. Data: N reference points x₀ ~ N(0, I); query i is reference i noised, \
            x_t = x₀ + t z with t = clamp(exp(−1.1 + 2ξ), 0.002, 80). Run a release build with \
            OPENBLAS_CORETYPE unset: `env -u OPENBLAS_CORETYPE swift run -c release consistency-td-score-identity-bench`.
            """)

    @Option(name: .customLong("B"), help: "Queries per batch.")
    var batchSize = 256
    @Option(name: .customLong("N"), help: "Reference points (shared by every query).")
    var referenceCount = 4096
    @Option(name: .customLong("D"), help: "Dimension of a point.")
    var dimension = 64
    @Option(help: "Thread counts, comma-separated (our threads and OpenBLAS's).")
    var threads = "1,2"
    @Option(help: "Timed calls per configuration (the median is reported).")
    var repeats = 100
    @Option(help: "Untimed warm-up calls.")
    var warmup = 10
    @Option(help: "Seed of the data streams.")
    var seed: UInt64 = 0
    @Flag(help: "Print one JSON object per thread count instead of text.")
    var json = false

    func validate() throws {
        guard batchSize > 0, referenceCount >= batchSize, dimension > 0 else {
            throw ValidationError("need B > 0, N ≥ B (the queries are noised references) and D > 0")
        }
        guard repeats > 0, warmup >= 0 else { throw ValidationError("--repeats must be > 0 and --warmup ≥ 0") }
        guard let list = Self.threadList(threads), !list.isEmpty else {
            throw ValidationError("--threads takes positive integers separated by commas, got '\(threads)'")
        }
    }

    static func threadList(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return values.map { $0! }
    }

    func run() throws {
        if let warning = BLASRuntime.kernelWarning { FileHandle.standardError.write(Data(("warning: " + warning + "\n").utf8)) }
        allocation_counter_locate_blas()
        let core = BLASRuntime.coreName
        var stream = RandomStream(seed: seed, purpose: "score-identity-bench.data")
        var points = [Float](repeating: 0, count: referenceCount * dimension)
        points.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
        var noise = [Float](repeating: 0, count: batchSize * dimension)
        noise.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
        let times = (0..<batchSize).map { _ in Float(min(max(stream.nextLogNormal(mean: -1.1, standardDeviation: 2), 0.002), 80)) }
        let queries = (0..<(batchSize * dimension)).map { points[$0] + times[$0 / dimension] * noise[$0] }
        let references = try ScoreIdentityReferences.shared(points: points, dimension: dimension)
        var output = [Float](repeating: 0, count: batchSize * dimension)
        var weights = [Float](repeating: 1 / Float(referenceCount), count: batchSize * referenceCount)

        if !json {
            print("score-identity targets: B \(batchSize), N \(referenceCount) (shared), D \(dimension), Float32; "
                  + "median of \(repeats) after \(warmup) warm-up; OpenBLAS \(core)")
        }
        for threadCount in Self.threadList(threads)! {
            BLASRuntime.threadCount = threadCount
            let denoiser = FastScoreIdentityDenoiser(threadCount: threadCount)
            let call = {
                try queries.withUnsafeBufferPointer { q in
                    try times.withUnsafeBufferPointer { t in
                        try output.withUnsafeMutableBufferPointer { out in
                            try denoiser.estimate(q.baseAddress!, count: batchSize, times: t.baseAddress!,
                                                  references: references, into: out.baseAddress!)
                        }
                    }
                }
            }
            for _ in 0..<warmup { try call() }
            let allocationsBefore = allocation_counter_process_count()
            var samples: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                try call()
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            let allocations = Double(allocation_counter_process_count() - allocationsBefore) / Double(repeats)
            // The one sgemm of the estimate, E·X₀ (B × N times N × D), alone: the floor of the third step.
            let sgemm = {
                try weights.withUnsafeMutableBufferPointer { w in
                    try points.withUnsafeMutableBufferPointer { p in
                        try output.withUnsafeMutableBufferPointer { out in
                            try gemm(MatrixView(base: w.baseAddress!, rows: batchSize, columns: referenceCount),
                                     MatrixView(base: p.baseAddress!, rows: referenceCount, columns: dimension),
                                     into: MatrixView(base: out.baseAddress!, rows: batchSize, columns: dimension))
                        }
                    }
                }
            }
            for _ in 0..<warmup { try sgemm() }
            var sgemmSamples: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                try sgemm()
                sgemmSamples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            let median = Self.percentile(samples, 0.5), sgemmMedian = Self.percentile(sgemmSamples, 0.5)
            if json {
                let fields: [(String, String)] = [
                    ("fw", "\"consistency-td\""), ("B", "\(batchSize)"), ("N", "\(referenceCount)"), ("D", "\(dimension)"),
                    ("threads", "\(threadCount)"), ("median_ms", "\(median)"), ("p10_ms", "\(Self.percentile(samples, 0.1))"),
                    ("p90_ms", "\(Self.percentile(samples, 0.9))"), ("sgemm_ms", "\(sgemmMedian)"),
                    ("allocations_per_call", "\(allocations)"), ("core", "\"\(core)\""),
                ]
                print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
            } else {
                print(String(format: "  %d thread%@: median %.3f ms (p10 %.3f, p90 %.3f); its sgemm alone %.3f ms; %.1f allocations per call",
                             threadCount, threadCount == 1 ? "" : "s", median, Self.percentile(samples, 0.1),
                             Self.percentile(samples, 0.9), sgemmMedian, allocations))
            }
        }
        _ = weights
    }

    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(Int((Double(sorted.count - 1) * q).rounded()), sorted.count - 1)]
    }
}

ScoreIdentityBenchmark.main()
