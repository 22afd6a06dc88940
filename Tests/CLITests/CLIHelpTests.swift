import CLIProcess
import Foundation
import Testing

/// `--help` of every command mentions every one of its options, and shows the defaults.
@Suite("consistency-td --help")
struct CLIHelpTests {
    static let commands: [(name: String, options: [String])] = [
        ("train", ["--preset", "--environment", "--steps", "--run-dir", "--seed", "--from", "--checkpoint-every", "--width", "--depth",
                   "--batch-size", "--learning-rate", "--lr-decay", "--warmup", "--max-time", "--dropout", "--weighting",
                   "--final-scale", "--config", "--set"]),
        ("resume", ["<DIR>", "--steps"]),
        ("sample", ["--checkpoint", "--count", "--steps", "--middle-time", "--heun-steps", "--parameters", "--seed", "--out"]),
        ("evaluate", ["--checkpoint", "--environment", "--count", "--parameters", "--seed", "--middle-time", "--heun-steps", "--out"]),
        ("analyze-targets", ["--environment", "--t", "--r-ratio", "--r", "--grid-steps", "--grid-size", "--estimators",
                             "--reference-size", "--targets", "--points", "--samples", "--seed", "--t-min", "--checkpoint", "--out"]),
        ("export-trajectories", ["--environment", "--policy", "--checkpoint", "--episodes", "--steps", "--seed", "--out", "--format",
                                 "--values", "--targets"]),
        ("sweep", ["--config", "--set", "--shard", "--merge", "--out"]),
        ("inspect", ["<FILE.h5>"]),
        ("quickstart", ["--out", "--scale", "--seed", "--count"]),
    ]

    @Test("every command's --help names each option and states defaults", arguments: commands.indices)
    func helpMentionsEveryOption(index: Int) throws {
        let (name, options) = Self.commands[index]
        let result = try CLI.run([name, "--help"], in: NSTemporaryDirectory())
        #expect(result.status == 0, "\(name): \(result.standardError)")
        let text = result.standardOutput
        for option in options {
            #expect(text.contains(option + " ") || text.contains(option + "\n") || text.contains(option + ","),
                    "\(name) --help lacks \(option)")
        }
        if options.contains(where: { $0.hasPrefix("--") && $0 != "--merge" }) {
            #expect(text.contains("default"), "\(name) --help shows no defaults")
        }
    }

    @Test("the root --help lists every command")
    func rootHelpListsCommands() throws {
        let result = try CLI.run(["--help"], in: NSTemporaryDirectory())
        #expect(result.status == 0)
        for command in Self.commands { #expect(result.standardOutput.contains(command.name), "root help lacks \(command.name)") }
    }
}
