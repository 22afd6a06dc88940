// One training step of the small time-conditioned U-Net of the 8×8 digits experiment — forward over a
// batch of images, backward of a mean-squared loss, one Adam update — timed as a median over repeats
// after warm-up, for each image size × batch size × blocks per level × OpenBLAS thread count.
//
//     env -u OPENBLAS_CORETYPE swift run -c release consistency-td-unet-bench \
//         [--sizes 8,16] [--B 128,256] [--blocks 1,2] [--threads 1,2] [--steps 20] [--warmup 3] [--json]
//
// The network is class-conditional with 10 classes (11 embedding rows with the null class), widths
// [32, 64], 8 GroupNorm groups, the reference time embedding and dropout 0.1, as the digits preset.
// Besides wall-clock medians it reports the calling thread's CPU time per step: with one OpenBLAS
// thread all the work runs on that thread, so the CPU median stays comparable on a loaded machine.
import AllocationCounter
import Foundation
import NeuralNetworks
import Tensors

struct Options {
    var sizes = [8, 16]
    var batchSizes = [128, 256]
    var blocks = [1, 2]
    var threads = [1, 2]
    var widths = [32, 64]
    var steps = 20
    var warmup = 3
    var json = false

    static let usage = "usage: consistency-td-unet-bench [--sizes 8,16] [--B 128,256] [--blocks 1,2] [--threads 1,2] "
        + "[--widths 32,64] [--steps N] [--warmup N] [--json]"

    init(_ arguments: [String]) throws {
        func list(_ text: String, _ name: String) throws -> [Int] {
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw TensorError.invalidArgument(operation: "consistency-td-unet-bench",
                                                  message: "\(name) takes positive integers separated by commas, got '\(text)'")
            }
            return values.map { $0! }
        }
        var index = 1
        func value() throws -> String {
            guard index + 1 < arguments.count else {
                throw TensorError.invalidArgument(operation: "consistency-td-unet-bench", message: "\(arguments[index]) needs a value")
            }
            index += 1
            return arguments[index]
        }
        while index < arguments.count {
            let name = arguments[index]
            switch name {
            case "--sizes": sizes = try list(value(), name)
            case "--B": batchSizes = try list(value(), name)
            case "--blocks": blocks = try list(value(), name)
            case "--threads": threads = try list(value(), name)
            case "--widths": widths = try list(value(), name)
            case "--steps": steps = try list(value(), name)[0]
            case "--warmup": warmup = Int(try value()) ?? warmup
            case "--json": json = true
            case "--help", "-h":
                print(Self.usage)
                exit(0)
            default:
                throw TensorError.invalidArgument(operation: "consistency-td-unet-bench", message: "unknown option \(name); \(Self.usage)")
            }
            index += 1
        }
    }
}

/// CPU time consumed by the calling thread, in milliseconds.
func threadCPUMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    if fraction == 0.5 && sorted.count % 2 == 0 { return (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 }
    return sorted[min(Int(Double(sorted.count) * fraction), sorted.count - 1)]
}

struct Measurement {
    let size: Int, batchSize: Int, blocks: Int, threads: Int, parameters: Int
    let times: [Double], cpuTimes: [Double], allocationsPerStep: Double, checksum: Double
}

func measure(size: Int, batchSize: Int, blocks: Int, threads: Int, widths: [Int], steps: Int, warmup: Int) throws -> Measurement {
    BLASRuntime.threadCount = threads
    let configuration = TimeConditionedUNetConfiguration(height: size, width: size, channelWidths: widths, blocksPerLevel: blocks,
                                                         groups: 8, classCount: 10, dropout: 0.1)
    let network = try TimeConditionedUNet(configuration, seed: 1)
    let optimizer = try Adam()
    let d = configuration.dataDimension
    let input = try Tensor(zeros: [batchSize, d]), target = try Tensor(zeros: [batchSize, d])
    let conditioning = try Tensor(zeros: [batchSize]), gradient = try Tensor(zeros: [batchSize, d])
    var stream = RandomStream(seed: 2, purpose: "unet-bench")
    stream.fillNormal(input)
    stream.fillNormal(target, standardDeviation: 0.5)
    stream.fillNormal(conditioning)
    let labels = (0..<batchSize).map { Int32($0 % 11) }
    var step: UInt64 = 0
    var checksum = 0.0
    func trainingStep() throws {
        let output = try labels.withUnsafeBufferPointer { y in
            try network.forward(input, noiseConditioning: conditioning, labels: y, context: .training(seed: 3, step: step))
        }
        // dL/dF of L = mean ‖F − target‖² / 2.
        let scale = 1 / Float(batchSize)
        for index in 0..<(batchSize * d) { gradient.data[index] = (output.data[index] - target.data[index]) * scale }
        checksum = Double(gradient.data[0])
        network.store.zeroGradients()
        _ = try network.backward(gradient)
        try optimizer.step(network.store, learningRate: 1e-4)
        step += 1
    }
    for _ in 0..<max(warmup, 1) { try trainingStep() }
    allocation_counter_locate_blas()
    let before = allocation_counter_thread_count(), blasBefore = allocation_counter_thread_blas_count()
    var times: [Double] = [], cpuTimes: [Double] = []
    for _ in 0..<steps {
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = threadCPUMilliseconds()
        try trainingStep()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        cpuTimes.append(threadCPUMilliseconds() - cpuStart)
    }
    let blas = allocation_counter_thread_blas_count() - blasBefore
    let allocations = Double(allocation_counter_thread_count() - before - blas) / Double(steps)
    return Measurement(size: size, batchSize: batchSize, blocks: blocks, threads: threads, parameters: network.store.count,
                       times: times, cpuTimes: cpuTimes, allocationsPerStep: allocations, checksum: checksum)
}

func run() throws {
    let options = try Options(CommandLine.arguments)
    let core = BLASRuntime.coreName
    if let warning = BLASRuntime.kernelWarning { FileHandle.standardError.write(Data(("warning: " + warning + "\n").utf8)) }
    if !options.json {
        print("OpenBLAS core: \(core) · U-Net widths \(options.widths), 10 classes, dropout 0.1 · \(options.steps) timed steps")
        print("threads  image      B  blocks  params   median ms   p10 ms   p90 ms   cpu ms  images/s  allocs")
    }
    for threads in options.threads {
        for size in options.sizes {
            for blocks in options.blocks {
                for batchSize in options.batchSizes {
                    let m = try measure(size: size, batchSize: batchSize, blocks: blocks, threads: threads, widths: options.widths,
                                        steps: options.steps, warmup: options.warmup)
                    let median = percentile(m.times, 0.5)
                    if options.json {
                        print("{\"bench\": \"unet-step\", \"H\": \(size), \"W\": \(size), \"B\": \(batchSize), \"blocks\": \(blocks), "
                              + "\"widths\": \(options.widths), \"threads\": \(threads), \"parameters\": \(m.parameters), "
                              + "\"median_ms\": \(median), \"cpu_median_ms\": \(percentile(m.cpuTimes, 0.5)), \"p10_ms\": \(percentile(m.times, 0.1)), \"p90_ms\": \(percentile(m.times, 0.9)), "
                              + "\"allocations_per_step\": \(m.allocationsPerStep), \"core\": \"\(core)\"}")
                    } else {
                        print(String(format: "%7d  %2d×%-2d  %5d  %6d  %6d  %10.2f %8.2f %8.2f %8.2f %9.0f %7.1f",
                                     threads, size, size, batchSize, blocks, m.parameters, median, percentile(m.times, 0.1),
                                     percentile(m.times, 0.9), percentile(m.cpuTimes, 0.5), Double(batchSize) / median * 1000, m.allocationsPerStep))
                    }
                    fflush(nil)
                }
            }
        }
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
