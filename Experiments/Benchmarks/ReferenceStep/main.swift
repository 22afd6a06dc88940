import AllocationCounter
import ArgumentParser
import Foundation
import NeuralNetworks
import Tensors

/// `consistency-td-bench`: times the reference consistency-training step of BENCHMARK.md §1.
struct ReferenceStepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency-td-bench",
        abstract: "Time one consistency-training step of an MLP consistency model (BENCHMARK.md §1).",
        discussion: """
            For every configuration D × W × B and thread count it prints the median step time over \
            --steps timed steps after --warmup untimed ones, the GFLOP/s of the step's matrix products, the \
            time of the same sgemm calls alone (the floor of any engine on this OpenBLAS), the time of the same \
            products on the toolkit's 12 × 32 kernel with every operand packed beforehand (the floor of an \
            engine on that kernel that never packs and keeps the step's data flow: see PrepackedBound.swift), the FMA floor (the \
            step's FLOPs at the Float32 fused multiply-add rate a register-only loop reaches on the same \
            threads right after the step: no engine computing the same products can be faster), heap \
            allocations per step after warm-up, and the OpenBLAS kernel family in use. Run a release build with \
            OPENBLAS_CORETYPE unset: `env -u OPENBLAS_CORETYPE swift run -c release consistency-td-bench`.
            """)

    @Option(name: .customLong("D"), help: "Data dimensions, comma-separated.")
    var dimensions = "2,64"
    @Option(name: .customLong("W"), help: "Network widths, comma-separated.")
    var widths = "256,1024"
    @Option(name: .customLong("B"), help: "Batch sizes, comma-separated.")
    var batchSizes = "256,1024"
    @Option(help: "OpenBLAS thread counts, comma-separated.")
    var threads = "2,1"
    @Option(help: "Timed steps per configuration (the median is reported).")
    var steps = 200
    @Option(help: "Untimed warm-up steps per configuration.")
    var warmup = 20
    @Option(help: "Seed of the data, initialisation and noise streams.")
    var seed: UInt64 = 0
    @Flag(help: "Print one JSON object per configuration instead of a table.")
    var json = false
    @Flag(help: "Only the smallest configuration (D 2, W 256, B 256, 2 threads) with 50 steps: a smoke run.")
    var quick = false
    @Flag(help: "Time every matrix product of the step on its own, OpenBLAS against the packed SIMD kernel (thread-CPU ms, GFLOP/s), instead of the step.")
    var perProduct = false

    func validate() throws {
        guard steps > 0, warmup >= 0 else { throw ValidationError("--steps must be > 0 and --warmup ≥ 0") }
        for (name, list) in [("--D", dimensions), ("--W", widths), ("--B", batchSizes), ("--threads", threads)] {
            guard let values = Self.parseList(list), !values.isEmpty, values.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("\(name) takes positive integers separated by commas, got '\(list)'")
            }
        }
    }

    func run() throws {
        let dimensionList = quick ? [2] : Self.parseList(dimensions)!
        let widthList = quick ? [256] : Self.parseList(widths)!
        let batchList = quick ? [256] : Self.parseList(batchSizes)!
        let threadList = quick ? [2] : Self.parseList(threads)!
        let (timedSteps, warmupSteps) = quick ? (50, 5) : (steps, warmup)
        let core = BLASRuntime.coreName
        if let warning = BLASRuntime.kernelWarning { FileHandle.standardError.write(Data(("warning: " + warning + "\n").utf8)) }
        allocation_counter_locate_blas()
        if allocation_counter_is_active() == 0 {
            FileHandle.standardError.write(Data("warning: the allocation counter is not active; allocations read 0\n".utf8))
        }
        if !json {
            print("OpenBLAS core: \(core) · \(BLASRuntime.configuration)")
            print(Self.header)
        }
        if perProduct {
            try runPerProduct(dimensions: dimensionList, widths: widthList, batchSizes: batchList, threads: threadList,
                              repetitions: timedSteps)
            return
        }
        for threadCount in threadList {
            BLASRuntime.threadCount = threadCount
            for d in dimensionList {
                for w in widthList {
                    for b in batchList {
                        let result = try Self.measure(dimension: d, width: w, batchSize: b, threads: threadCount,
                                                      steps: timedSteps, warmup: warmupSteps, seed: seed)
                        if let warning = result.floorWarning { FileHandle.standardError.write(Data(("warning: " + warning + "\n").utf8)) }
                        print(json ? result.json(core: core) : result.row)
                        fflush(nil)
                    }
                }
            }
        }
        if quick && !json {
            print("\nThis was the smoke configuration; run without --quick for the full table of BENCHMARK.md §1.")
        }
    }

    func runPerProduct(dimensions: [Int], widths: [Int], batchSizes: [Int], threads: [Int], repetitions: Int) throws {
        for threadCount in threads {
            BLASRuntime.threadCount = threadCount
            for d in dimensions {
                for w in widths {
                    for b in batchSizes {
                        let data = try Self.ringData(batchSize: b, dimension: d, seed: seed)
                        let trainer = try ConsistencyTrainingStep(data: data, width: w, seed: seed, threads: 1)
                        let products = trainer.matrixProducts()
                        let rows = try ProductProfile.measure(
                            products, roles: ProductProfile.roles(layerCount: trainer.network.layers.count),
                            repetitions: repetitions)
                        if json {
                            for row in rows { print(ProductProfile.json(row, dimension: d, width: w, batchSize: b, threads: threadCount)) }
                        } else {
                            print("\nD \(d) · W \(w) · B \(b) · OpenBLAS threads \(threadCount) (the packed kernel is single-threaded)")
                            print(ProductProfile.header)
                            for row in rows { print(ProductProfile.line(row)) }
                            let blas = rows.reduce(0) { $0 + $1.openBLASMilliseconds }
                            let packed = rows.reduce(0) { $0 + $1.packedMilliseconds }
                            let automatic = rows.reduce(0) { $0 + $1.automaticMilliseconds }
                            print(String(format: "total: OpenBLAS %.3f ms · packed %.3f ms · automatic %.3f ms (automatic ÷ OpenBLAS %.3f)",
                                         blas, packed, automatic, automatic / blas))
                        }
                        fflush(nil)
                    }
                }
            }
        }
    }

    static let header = [("threads", 7), ("D", 3), ("W", 5), ("B", 5), ("median ms", 10), ("p10 ms", 8), ("p90 ms", 8),
                         ("GFLOP/s", 8), ("sgemm ms", 9), ("÷sgemm", 7), ("pre-packed ms", 13), ("FMA floor ms", 12), ("÷floor", 7), ("allocs", 7), ("blas allocs", 11), ("loss", 9)]
        .map { String(repeating: " ", count: max($0.1 - $0.0.count, 0)) + $0.0 }.joined(separator: " ")

    static func parseList(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.contains(where: { $0 == nil }) ? nil : parts.map { $0! }
    }

    static func measure(dimension: Int, width: Int, batchSize: Int, threads: Int, steps: Int, warmup: Int, seed: UInt64) throws -> Measurement {
        let data = try ringData(batchSize: batchSize, dimension: dimension, seed: seed)
        // The step runs on `threads` lanes with OpenBLAS single-threaded; the sgemm floor below uses
        // OpenBLAS's own `threads` threads, as any engine on stock OpenBLAS would.
        BLASRuntime.threadCount = 1
        let trainer = try ConsistencyTrainingStep(data: data, width: width, seed: seed, threads: threads)
        let firstLoss = try trainer.run()
        for _ in 0..<warmup { try trainer.run() }
        var times: [Double] = []
        times.reserveCapacity(steps)
        let allocationsBefore = allocation_counter_thread_count()
        let blasAllocationsBefore = allocation_counter_thread_blas_count()
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try trainer.run()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let blasAllocations = Double(allocation_counter_thread_blas_count() - blasAllocationsBefore) / Double(steps)
        let allocations = Double(allocation_counter_thread_count() - allocationsBefore) / Double(steps) - blasAllocations
        BLASRuntime.threadCount = threads
        let sgemmTimes = try timeMatrixProducts(trainer.matrixProducts(), repetitions: steps)
        BLASRuntime.threadCount = 1   // the bound's lanes are its threads; OpenBLAS is not called
        let prepackedTimes = try PrepackedBound(trainer.matrixProducts(), threads: threads).time(repetitions: steps)
        BLASRuntime.threadCount = threads
        let flops = trainer.matrixProducts().reduce(0.0) { $0 + 2 * Double($1.m * $1.n * $1.k) }
        let peak = FusedMultiplyAddPeak.measure(threads: threads)
        return Measurement(dimension: dimension, width: width, batchSize: batchSize, threads: threads, times: times,
                           sgemmTimes: sgemmTimes, prepackedTimes: prepackedTimes, flops: flops, peakGigaflops: peak, allocationsPerStep: allocations, blasAllocationsPerStep: blasAllocations,
                           firstLoss: firstLoss, lastLoss: trainer.lastLoss)
    }

    /// The step's matrix products alone, same shapes and order, on preallocated buffers.
    static func timeMatrixProducts(_ products: [(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool)], repetitions: Int) throws -> [Double] {
        let buffers = try products.map { product in
            (a: try Tensor(zeros: product.transposeA ? [product.k, product.m] : [product.m, product.k]),
             b: try Tensor(zeros: product.transposeB ? [product.n, product.k] : [product.k, product.n]),
             c: try Tensor(zeros: [product.m, product.n]))
        }
        for buffer in buffers {
            var stream = RandomStream(seed: 1, purpose: "sgemm-bench")
            stream.fillNormal(buffer.a)
            stream.fillNormal(buffer.b)
        }
        var times: [Double] = []
        for repetition in 0..<(repetitions + 5) {
            let start = DispatchTime.now().uptimeNanoseconds
            for (product, buffer) in zip(products, buffers) {
                try matmul(buffer.a, transposeA: product.transposeA, buffer.b, transposeB: product.transposeB,
                           into: buffer.c, beta: product.transposeA ? 1 : 0, engine: .openBLAS)
            }
            if repetition >= 5 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        return times
    }

    /// A fixed batch: 8 Gaussian modes on the unit circle in the first two coordinates, 0.05 noise.
    static func ringData(batchSize: Int, dimension: Int, seed: UInt64) throws -> Tensor {
        let data = try Tensor(zeros: [batchSize, dimension])
        var stream = RandomStream(seed: seed, purpose: "benchmark-data")
        stream.fillNormal(data, standardDeviation: 0.05)
        for row in 0..<batchSize {
            let angle = Double(stream.nextWord() % 8) * 2 * Double.pi / 8
            data[row, 0] += Float(cos(angle))
            if dimension > 1 { data[row, 1] += Float(sin(angle)) }
        }
        return data
    }
}

struct Measurement {
    let dimension: Int, width: Int, batchSize: Int, threads: Int
    let times: [Double], sgemmTimes: [Double]
    /// The step's products on the packed kernel with every operand packed beforehand (``PrepackedBound``).
    let prepackedTimes: [Double]
    /// Heap allocations per step made by the toolkit's code, and those made inside libopenblas (Debian's
    /// build mallocs a job array in every multithreaded level-3 call and a buffer in its small-matrix
    /// kernels; they are reported apart because no caller can avoid them).
    let flops: Double
    /// The Float32 FMA rate of `threads` cores measured right after the step (``FusedMultiplyAddPeak``).
    let peakGigaflops: Double
    let allocationsPerStep: Double, blasAllocationsPerStep: Double, firstLoss: Double, lastLoss: Double

    var median: Double { Self.percentile(times, 0.5) }
    var sgemmMedian: Double { Self.percentile(sgemmTimes, 0.5) }
    var prepackedMedian: Double { Self.percentile(prepackedTimes, 0.5) }
    /// The step's matrix products at the FMA peak: no engine computing them in Float32 is faster.
    var peakFloor: Double { flops / (peakGigaflops * 1e6) }

    /// Set when the step's matrix products ran faster than the measured FMA peak allows — impossible, so
    /// the peak loop was disturbed or miscompiled and the floor must not be trusted.
    var floorWarning: String? {
        median >= peakFloor ? nil : String(
            format: "the step (%.1f GFLOP/s) ran faster than the measured FMA peak (%.1f GFLOP/s): the peak loop was disturbed or miscompiled, so its floor is not a floor",
            flops / median * 1e-6, peakGigaflops)
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        if fraction == 0.5 && sorted.count % 2 == 0 { return (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 }
        return sorted[min(Int(Double(sorted.count) * fraction), sorted.count - 1)]
    }

    var row: String {
        String(format: "%7d %3d %5d %5d %10.3f %8.3f %8.3f %8.1f %9.3f %7.2f %13.3f %12.3f %7.2f %7.2f %11.2f %9.4g",
               threads, dimension, width, batchSize, median, Self.percentile(times, 0.1), Self.percentile(times, 0.9),
               flops / median * 1e-6, sgemmMedian, median / sgemmMedian, prepackedMedian, peakFloor, median / peakFloor, allocationsPerStep, blasAllocationsPerStep, lastLoss)
    }

    func json(core: String) -> String {
        let fields: [(String, String)] = [
            ("fw", "\"consistency-td\""), ("D", "\(dimension)"), ("W", "\(width)"), ("B", "\(batchSize)"),
            ("threads", "\(threads)"), ("median_ms", "\(median)"), ("p10_ms", "\(Self.percentile(times, 0.1))"),
            ("p90_ms", "\(Self.percentile(times, 0.9))"), ("sgemm_ms", "\(sgemmMedian)"),
            ("prepacked_ms", "\(prepackedMedian)"),
            ("fma_peak_gflops", "\(peakGigaflops)"), ("fma_floor_ms", "\(peakFloor)"), ("flops", "\(flops)"),
            ("gflops", "\(flops / median * 1e-6)"), ("allocations_per_step", "\(allocationsPerStep)"),
            ("openblas_allocations_per_step", "\(blasAllocationsPerStep)"),
            ("core", "\"\(core)\""), ("loss_first", "\(firstLoss)"), ("loss_last", "\(lastLoss)"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}

ReferenceStepBenchmark.main()
