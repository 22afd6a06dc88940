import ArgumentParser
import ConsistencyTD

/// `consistency-td resume DIR`: continues a `train` run from its latest checkpoint, bit-identical to an
/// uninterrupted run (ExperimentKit's ``Trainer/resume()``), rebuilding the learner from `run.json`.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a training run from its latest checkpoint.",
        discussion: "Example: consistency-td resume runs/ect --steps 8000"
    )

    @Argument(help: ArgumentHelp("The run folder written by `consistency-td train`.", valueName: "DIR"))
    var runDirectory: String

    @Option(help: "Train until this many iterations are complete; a larger count extends the run (the curricula keep the original length). (default: the run's --steps)")
    var steps: Int?

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps \(steps) is not valid; expected a positive number of iterations") }
    }

    func run() throws {
        let (summary, outputs) = try TrainingSession.resume(runFolder: runDirectory, steps: steps)
        let recipe = try TrainingRecipe.read(runFolder: runDirectory)
        print(TrainingSession.describe(summary, preset: recipe.preset.rawValue))
        outputs.show()
    }
}
