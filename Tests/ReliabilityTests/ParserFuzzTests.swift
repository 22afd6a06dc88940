import ExperimentKit
import Foundation
import PropertyBased
import Synchronization
import Tensors
import Testing

/// Item 4 (fuzzing): random mutations of valid YAML and JSON configurations and sweep specs, parsed
/// in-process. Every mutant must either resolve to a configuration that validates, or throw the
/// toolkit's ``ConfigurationError`` (or another toolkit error) with a one-line message — never trap,
/// never leak a parser's own error type. The counts are printed for the issue's note.
@Suite("Reliability: config and sweep parser fuzzing")
struct ParserFuzzTests {
    struct Counts {
        var tried = 0, parsed = 0, cleanErrors = 0, foreignErrors = 0
        var foreign: [String] = []

        /// Runs `parse` on one mutated document and counts what happened: parsed, a clean toolkit
        /// error, or a foreign error (the first five of which are kept with their input).
        mutating func record(_ text: String, _ parse: () throws -> Void) {
            tried += 1
            do {
                try parse()
                parsed += 1
            } catch where ParserFuzzTests.isClean(error) {
                cleanErrors += 1
            } catch {
                foreignErrors += 1
                if foreign.count < 5 { foreign.append("\(String(reflecting: type(of: error))): \(error) ← \(text.debugDescription)") }
            }
        }

        /// Prints the counts for the note and fails on any foreign error.
        func report(_ name: String) {
            FileHandle.standardError.write(Data(("reliability fuzz (\(name)): \(tried) inputs tried, \(parsed) valid, "
                + "\(cleanErrors) clean errors, \(foreignErrors) foreign errors, 0 crashes\n").utf8))
            #expect(foreignErrors == 0, "\(foreign.joined(separator: "\n"))")
            #expect(cleanErrors > 0 && parsed > 0)
        }
    }

    static let configurations = [
        """
        method: ict
        seed: 9
        network: {width: 16, depth: 1, dropout: 0.1}
        training: {steps: 6, batch_size: 32, checkpoint_every: 3, learning_rate: 0.001, warmup_steps: 2}
        evaluation: {samples: 64, sample_steps: [1, 2]}
        """,
        """
        method: diffusion
        environment:
          kind: ring
          modes: 8
          radius: 2.0
          std: 0.1
        training:
          steps: 100
          learning_rate: 2.0e-4
          t_min: 0.002
        diffusion: {log_mean: -1.2, log_std: 1.2}
        """,
        #"{"method": "ect", "seed": 3, "network": {"width": 32, "depth": 2}, "training": {"steps": 50, "batch_size": 16, "learning_rate": 0.0003}}"#,
        #"{"method": "slct", "training": {"steps": 20, "max_consecutive_non_finite": 4}, "evaluation": {"metrics": ["nll", "mmd"]}}"#,
    ]

    static let sweeps = [
        """
        name: tiny
        config: {method: ict, network: {width: 16, depth: 1}, training: {steps: 4, batch_size: 16}}
        axes:
          seed: [0, 1]
          training.learning_rate: [0.001, 0.002]
        """,
        #"{"name": "grid", "config": {"method": "ct", "training": {"steps": 8}}, "axes": {"network.width": [8, 16], "seed": [1]}}"#,
    ]

    /// Tokens a mutation inserts: YAML and JSON syntax, extreme numbers, wrong types, unknown keys.
    static let tokens = [
        ":", "{", "}", "[", "]", ",", "-", "\"", "'", "\n", "\t", " ", "#", "&a", "*a", "!!str", "|", ">",
        ".nan", ".inf", "-.inf", "NaN", "1e999", "-1", "0", "1e30", "1000000000000", "99999999999999999999999",
        "-0.0", "null", "~", "true", "no", "[]", "{}", "\"\"", "ict", "diffusion", "width", "steps", "trainng",
        "training.steps", "network", "x: 1", "\u{0}", "é", "\u{FEFF}",
    ]

    /// A random mutation of `text`: 1–4 edits of insert / delete / replace / duplicate a line.
    static func mutate(_ text: String, seed: Int) -> String {
        var stream = RandomStream(seed: UInt64(seed), purpose: "reliability-fuzz")
        var characters = Array(text)
        let edits = 1 + Int(stream.nextWord() % 4)
        for _ in 0..<edits {
            let position = characters.isEmpty ? 0 : Int(stream.nextWord()) % (characters.count + 1)
            switch stream.nextWord() % 5 {
            case 0, 1:
                let token = tokens[Int(stream.nextWord()) % tokens.count]
                characters.insert(contentsOf: token, at: position)
            case 2:
                let length = min(characters.count - position, 1 + Int(stream.nextWord() % 12))
                if length > 0 { characters.removeSubrange(position..<(position + length)) }
            case 3:
                // Replace a number with an extreme one.
                if let start = characters[position...].firstIndex(where: \.isNumber) {
                    var end = start
                    while end < characters.count, characters[end].isNumber || characters[end] == "." { end += 1 }
                    let extreme = ["1e999", "-5", "0", "1000000000000", ".nan", "2.5", "\"7\""][Int(stream.nextWord() % 7)]
                    characters.replaceSubrange(start..<end, with: extreme)
                }
            default:
                let lines = String(characters).split(separator: "\n", omittingEmptySubsequences: false)
                if !lines.isEmpty {
                    let line = lines[Int(stream.nextWord()) % lines.count]
                    characters.insert(contentsOf: "\n" + line, at: characters.endIndex)
                }
            }
        }
        return String(characters)
    }

    /// Whether an error comes from the toolkit (its type lives in one of its modules) and is one line.
    static func isClean(_ error: any Error) -> Bool {
        let type = String(reflecting: Swift.type(of: error))
        let ours = ["ExperimentKit.", "Environments.", "Agents.", "Tensors.", "NeuralNetworks."].contains(where: type.hasPrefix)
        let text = "\(error)"
        return ours && !text.isEmpty && !text.contains("\n")
    }

    @Test("1000 mutated configuration documents each resolve to a valid configuration or throw a one-line toolkit error")
    func mutatedConfigurationsNeverTrap() async throws {
        let counts = Mutex(Counts())
        await propertyCheck(count: 1000, input: Gen.int(in: 0...(Self.configurations.count - 1)), Gen.int(in: 0...1_000_000)) { base, seed in
            let text = Self.mutate(Self.configurations[base], seed: seed)
            counts.withLock { counts in
                counts.record(text) {
                    let configuration = try ConfigurationDocument(text: text, source: "fuzz").resolve()
                    try configuration.validate()
                    _ = try configuration.trainerConfiguration()
                }
            }
        }
        counts.withLock { $0 }.report("configs")
    }

    @Test("500 mutated sweep specs each expand to valid runs or throw a one-line toolkit error")
    func mutatedSweepSpecsNeverTrap() async throws {
        let folder = try Reliability.folder("fuzz-sweeps")
        let counts = Mutex(Counts())
        await propertyCheck(count: 500, input: Gen.int(in: 0...(Self.sweeps.count - 1)), Gen.int(in: 0...1_000_000)) { base, seed in
            let text = Self.mutate(Self.sweeps[base], seed: seed)
            let path = folder + "/sweep-\(seed)-\(base)." + (base == 1 ? "json" : "yaml")
            counts.withLock { counts in
                counts.record(text) {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
                    defer { try? FileManager.default.removeItem(atPath: path) }
                    let specification = try SweepSpecification(contentsOfFile: path)
                    for index in 0..<min(specification.runCount, 64) {
                        try specification.run(index).configuration.validate()
                    }
                }
            }
        }
        counts.withLock { $0 }.report("sweeps")
        try? FileManager.default.removeItem(atPath: folder)
    }
}
