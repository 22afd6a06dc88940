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
            Class-conditional checkpoints: --class k samples class k; --guidance w applies classifier-free guidance
            D_w = D(·|∅) + w (D(·|k) − D(·|∅)) (1 = conditional, 0 = unconditional; default: the run's
            evaluation.guidance_scale from its config.yaml, else 1). Without --class the null class is sampled.
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

    @Option(name: .customLong("class"), help: ArgumentHelp("The class k of a class-conditional checkpoint's samples (0…K−1).", valueName: "k"))
    var classLabel: Int?

    @Option(help: ArgumentHelp("The classifier-free guidance scale w (default: the run's evaluation.guidance_scale, else 1).", valueName: "w"))
    var guidance: Double?

    @Option(help: "The seed of the sampling noise.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("The HDF5 file to write.", valueName: "FILE.h5"))
    var out: String = "samples.h5"

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count \(count) is not valid; expected ≥ 1") }
        guard steps == 1 || steps == 2 else { throw ValidationError("--steps \(steps) is not valid; expected 1 or 2") }
        guard heunSteps >= 2 else { throw ValidationError("--heun-steps \(heunSteps) is not valid; expected ≥ 2 grid points") }
        if let guidance, !guidance.isFinite { throw ValidationError("--guidance \(guidance) is not valid; expected a finite number") }
        if let classLabel, classLabel < 0 || classLabel > Int(Int32.max) {
            throw ValidationError("--class \(classLabel) is not valid; expected a class 0…K−1 of the checkpoint's network")
        }
        guard middleTime.isFinite, middleTime > 0 else { throw ValidationError("--middle-time \(middleTime) is not valid; expected a finite time > t_min") }
    }

    func run() throws {
        let model = try CheckpointModel.load(try TrainCommand.resolveCheckpoint(checkpoint), online: parameters == .online)
        // The run's evaluation.guidance_scale is a default for class-conditional networks only: training
        // evaluation uses w = 1 for an unconditional one, and so does sample (an explicit --guidance is still checked).
        let runScale = model.network.classCount > 0 ? Self.runGuidanceScale(checkpointPath: model.path) : nil
        let scale = guidance ?? runScale ?? 1
        let generation = SampleGeneration(steps: steps, middleTime: middleTime, heunSteps: heunSteps,
                                          label: classLabel.map { Int32($0) }, guidanceScale: scale)
        let samples = try generation.samples(of: model, count: count, seed: seed)
        var numbers: [String: Double] = ["t_max": model.maximumTime]
        if !model.isDiffusion && steps == 2 { numbers["middle_time"] = middleTime }
        var integers: [String: Int64] = ["seed": Int64(bitPattern: seed), "step": Int64(model.checkpoint.step),
                                         "sampling_steps": Int64(model.isDiffusion ? heunSteps : steps)]
        if let classLabel { integers["class"] = Int64(classLabel) }
        if model.network.classCount > 0 { numbers["guidance_scale"] = scale }
        try SamplesFile.write(samples, dimension: model.dimension, to: out,
                              attributes: ["checkpoint": model.path, "method": model.method, "sampler": generation.name(for: model),
                                           "parameters": model.averageRate.map { "ema \($0)" } ?? "online"],
                              numbers: numbers, integers: integers)
        let condition = classLabel.map { " of class \($0)" + (scale == 1 ? "" : " (guidance w = \(scale))") } ?? ""
        print("sampled \(count) × \(model.dimension)\(condition) from \(model.label) with \(generation.name(for: model))")
        var outputs = OutputList()
        outputs.add("samples", out)
        outputs.show()
    }

    /// `evaluation.guidance_scale` of the run folder holding the checkpoint (…/<run>/checkpoints/<file>),
    /// when that folder has a readable config.yaml; nil otherwise.
    static func runGuidanceScale(checkpointPath: String) -> Double? {
        let run = ExperimentRunFolder(path: ((checkpointPath as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
        guard FileManager.default.fileExists(atPath: run.configurationPath) else { return nil }
        return try? run.configuration().evaluation.guidanceScale
    }
}
