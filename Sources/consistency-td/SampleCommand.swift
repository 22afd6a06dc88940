import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td sample`: draws samples from a checkpoint and writes them as `/samples` (N × D, float32).
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw samples from a checkpoint into an HDF5 file (/samples, N×D float32).",
        discussion: """
            Example: consistency-td sample --checkpoint runs/ect/checkpoints/latest --count 4096 --steps 2 --out samples.h5
            Consistency checkpoints sample in 1 or 2 steps; diffusion checkpoints with EDM's Heun sampler (--heun-steps).
            """
    )

    @Option(help: ArgumentHelp("The checkpoint file; a run folder means its checkpoints/latest. (required)", valueName: "FILE"))
    var checkpoint: String

    @Option(help: "Number of samples N.")
    var count: Int = 4096

    @Option(help: "Sampling steps of a consistency model: 1 or 2.")
    var steps: Int = 1

    @Option(name: .customLong("middle-time"), help: "The middle time τ of 2-step sampling.")
    var middleTime: Double = SampleGeneration.defaultMiddleTime

    @Option(name: .customLong("heun-steps"), help: "Karras grid points of the Heun sampler for diffusion checkpoints.")
    var heunSteps: Int = 18

    @Option(help: ParameterChoice.help)
    var parameters: ParameterChoice = .ema

    @Option(help: "The seed of the sampling noise.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("The HDF5 file to write.", valueName: "FILE.h5"))
    var out: String = "samples.h5"

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count \(count) is not valid; expected ≥ 1") }
        guard steps == 1 || steps == 2 else { throw ValidationError("--steps \(steps) is not valid; expected 1 or 2") }
        guard heunSteps >= 2 else { throw ValidationError("--heun-steps \(heunSteps) is not valid; expected ≥ 2 grid points") }
        guard middleTime.isFinite, middleTime > 0 else { throw ValidationError("--middle-time \(middleTime) is not valid; expected a finite time > t_min") }
    }

    func run() throws {
        let model = try CheckpointModel.load(try TrainCommand.resolveCheckpoint(checkpoint), online: parameters == .online)
        let generation = SampleGeneration(steps: steps, middleTime: middleTime, heunSteps: heunSteps)
        let samples = try generation.samples(of: model, count: count, seed: seed)
        var numbers: [String: Double] = ["t_max": model.maximumTime]
        if !model.isDiffusion && steps == 2 { numbers["middle_time"] = middleTime }
        let integers: [String: Int64] = ["seed": Int64(bitPattern: seed), "step": Int64(model.checkpoint.step),
                                         "sampling_steps": Int64(model.isDiffusion ? heunSteps : steps)]
        try SamplesFile.write(samples, dimension: model.dimension, to: out,
                              attributes: ["checkpoint": model.path, "method": model.method, "sampler": generation.name(for: model),
                                           "parameters": model.averageRate.map { "ema \($0)" } ?? "online"],
                              numbers: numbers, integers: integers)
        print("sampled \(count) × \(model.dimension) from \(model.label) with \(generation.name(for: model))")
        var outputs = OutputList()
        outputs.add("samples", out)
        outputs.show()
    }
}
