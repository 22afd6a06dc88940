// One full training step of every preset at the reference MLP size of BENCHMARK.md §1 (width 256,
// depth 4, batch 256), median over repeats after warm-up — to compare with the reference step
// (`consistency-td-bench`) measured in the same session.
//
//     swift run -c release consistency-td-preset-bench [--dimension 2] [--steps 60] [--json]
import Agents
import Environments
import Foundation
import Tensors

struct Options {
    var dimension = 2
    var steps = 60
    var warmup = 10
    var json = false

    init(_ arguments: [String]) throws {
        var index = 1
        func value() throws -> String {
            guard index + 1 < arguments.count else { throw AgentError.invalidSetting("\(arguments[index]) without a value", expected: "a number") }
            index += 1
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--dimension": dimension = Int(try value()) ?? dimension
            case "--steps": steps = Int(try value()) ?? steps
            case "--warmup": warmup = Int(try value()) ?? warmup
            case "--json": json = true
            case "--help", "-h":
                print("usage: consistency-td-preset-bench [--dimension D] [--steps N] [--warmup N] [--json]")
                exit(0)
            default: throw AgentError.unknownName(kind: "option", name: arguments[index], valid: ["--dimension", "--steps", "--warmup", "--json"])
            }
            index += 1
        }
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
}

func time(_ learner: some TrainingLearner, steps: Int, warmup: Int) throws -> Double {
    for _ in 0..<warmup { _ = try learner.trainStep() }
    var samples: [Double] = []
    for _ in 0..<steps {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try learner.trainStep()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return median(samples)
}

func run() throws {
    let options = try Options(CommandLine.arguments)
    let d = options.dimension
    let data = try GaussianMixture.random(dimension: d, modes: 8, seed: 1)
    var diffusionConfiguration = DiffusionPretrainingConfiguration(steps: options.steps + options.warmup, dimension: d, width: 256, depth: 4)
    diffusionConfiguration.batchSize = 256
    let diffusion = try DiffusionPretrainer(configuration: diffusionConfiguration, distribution: data)
    var rows: [(String, Double)] = [("diffusion", try time(diffusion, steps: options.steps, warmup: options.warmup))]
    let teacher = try diffusion.averagedNetwork()
    for method in ConsistencyMethod.allCases {
        var configuration = try ConsistencyTrainingConfiguration.preset(method, steps: options.steps + options.warmup, dimension: d)
        configuration.batchSize = 256
        let learner = try ConsistencyLearner(configuration: configuration, distribution: data,
                                             initial: method.startsFromDiffusionModel ? teacher : nil,
                                             teacher: method == .cd ? teacher : nil)
        rows.append((method.rawValue, try time(learner, steps: options.steps, warmup: options.warmup)))
    }
    for (name, milliseconds) in rows {
        if options.json {
            print("{\"preset\": \"\(name)\", \"D\": \(d), \"W\": 256, \"B\": 256, \"median_ms\": \(milliseconds), \"core\": \"\(BLASRuntime.coreName)\"}")
        } else {
            print(String(format: "%-10@ D %3d  W 256  B 256  %8.3f ms/step", name as NSString, d, milliseconds))
        }
    }
}

do { try run() } catch {
    FileHandle.standardError.write(Data("consistency-td-preset-bench: \(error)\n".utf8))
    exit(1)
}
