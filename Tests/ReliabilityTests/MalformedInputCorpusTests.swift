import CLIProcess
import Foundation
import HDF5
import H5pyInterop
import Replay
import Tensors
import Testing

/// Item 4 of the reliability issue: a corpus of malformed inputs — truncated and bit-flipped
/// checkpoints, trajectory datasets and metrics files, HDF5 files of other layouts (written with the
/// toolkit's HDF5 module and, when h5py is there, with h5py), empty and non-HDF5 files, YAML/JSON
/// configs, sweep specs and environment specs with wrong types, unknown keys, NaN/∞, negative and
/// huge sizes — fed to every command that reads them. Each run must end in exactly one `error: …`
/// line and a non-zero exit: never a signal, never a hang (60 s per process). Bit flips that land
/// in bytes nothing reads may leave a valid file; those cases may also succeed.
@Suite("Reliability: malformed files and specs")
struct MalformedInputCorpusTests {
    struct Case {
        let name: String
        let arguments: [String]
        /// A bit-flipped file may still be valid (the flip hit unused bytes): success is allowed.
        var mayPass = false
    }

    enum Outcome: Equatable {
        case cleanError, passed, crash, hang, messy
    }

    @Test("every malformed file or spec ends in one error line and a non-zero exit: no crash, no hang")
    func corpusEndsInCleanErrors() throws {
        let base = try Reliability.folder("corpus")
        let corpus = try MalformedCorpus(base: base)
        let cases = try corpus.cases()
        var counts: [Outcome: Int] = [:]
        var failures: [String] = []
        for item in cases {
            let result = try CLI.run(item.arguments, in: base, timeout: 60)
            let outcome: Outcome
            if result.timedOut {
                outcome = .hang
            } else if result.endedBySignal {
                outcome = .crash
            } else if result.status == 0 {
                outcome = item.mayPass ? .passed : .messy
            } else if result.errorLines.count == 1, result.errorLines[0].hasPrefix("error: "),
                      !["Fatal error", "Stack dump", "backtrace"].contains(where: result.standardError.contains) {
                outcome = .cleanError
            } else {
                outcome = .messy
            }
            counts[outcome, default: 0] += 1
            if outcome != .cleanError && outcome != .passed {
                failures.append("\(item.name) \(item.arguments.joined(separator: " ")) → \(outcome), status \(result.status): "
                                + result.standardError.prefix(400))
            }
        }
        let summary = "reliability corpus: \(cases.count) inputs tried, \(counts[.cleanError, default: 0]) clean errors, "
            + "\(counts[.passed, default: 0]) harmless bit flips accepted, \(counts[.crash, default: 0]) crashes, "
            + "\(counts[.hang, default: 0]) hangs, \(counts[.messy, default: 0]) unclear failures\n"
        FileHandle.standardError.write(Data(summary.utf8))
        let report = "\(failures.count) inputs were not refused cleanly:\n" + failures.joined(separator: "\n")
        #expect(failures.isEmpty, "\(report)")
        #expect(cases.count >= 80)
        try? FileManager.default.removeItem(atPath: base)
    }

    @Test("malformed trajectory datasets are refused in-process with a ReplayError, never a trap")
    func malformedTrajectoryDatasetsThrowReplayErrors() throws {
        let base = try Reliability.folder("corpus-trajectories")
        let corpus = try MalformedCorpus(base: base)
        var refused = 0
        for path in corpus.malformedTrajectoryFiles {
            do {
                let dataset = try TrajectoryDataset(path: path)
                _ = try dataset.allEpisodes()
                Issue.record("\(path) was read as a valid trajectory dataset")
            } catch let error as ReplayError {
                refused += 1
                #expect(!"\(error)".contains("\n"), "\(error)")
            } catch {
                Issue.record("\(path): \(type(of: error)) is not a ReplayError: \(error)")
            }
        }
        #expect(refused == corpus.malformedTrajectoryFiles.count)
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// Builds the corpus files under `base` from a tiny valid run, a valid trajectory dataset and a
/// valid sample file, and lists the command lines that read them.
struct MalformedCorpus {
    let base: String
    private(set) var malformedCheckpoints: [(name: String, mayPass: Bool)] = []
    private(set) var malformedTrajectoryFiles: [String] = []
    private(set) var malformedOtherFiles: [(name: String, mayPass: Bool)] = []

    init(base: String) throws {
        self.base = base
        let train = try CLI.run(Reliability.tinyTrain(steps: 4, runFolder: "run", checkpointEvery: 2), in: base, timeout: 120)
        guard train.status == 0 else { throw CLITestError("corpus setup: train failed: \(train.standardError)") }
        let export = try CLI.run(["export-trajectories", "--episodes", "3", "--steps", "4", "--out", "valid-trajectories.h5"], in: base, timeout: 120)
        guard export.status == 0 else { throw CLITestError("corpus setup: export failed: \(export.standardError)") }
        try makeFiles()
    }

    private func path(_ name: String) -> String { base + "/" + name }

    private mutating func makeFiles() throws {
        let files = FileManager.default
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: path("run/checkpoints/step-00000004.h5")))
        let trajectories = try Data(contentsOf: URL(fileURLWithPath: path("valid-trajectories.h5")))
        let metrics = try Data(contentsOf: URL(fileURLWithPath: path("run/metrics.h5")))
        var stream = RandomStream(seed: 4, purpose: "reliability-corpus")

        // Truncations and bit flips of each kind of file.
        for (kind, data) in [("checkpoint", checkpoint), ("trajectories", trajectories), ("metrics", metrics)] {
            for fraction in [0.0, 0.01, 0.1, 0.5, 0.9, 0.999] {
                let name = "\(kind)-truncated-\(Int(fraction * 1000)).h5"
                try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path(name)))
                record(kind, name, mayPass: false)
            }
            for flip in 0..<8 {
                var bytes = [UInt8](data)
                let offset = Int(stream.nextWord()) % bytes.count
                bytes[offset] ^= UInt8(1 << (stream.nextWord() % 8))
                let name = "\(kind)-bitflip-\(flip)-at-\(offset).h5"
                try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
                record(kind, name, mayPass: true)
            }
        }
        // Not HDF5 at all.
        _ = files.createFile(atPath: path("empty.h5"), contents: Data())
        try Data("this is a text file, not HDF5\n".utf8).write(to: URL(fileURLWithPath: path("text.h5")))
        try Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: stream.nextWord()) }).write(to: URL(fileURLWithPath: path("random-bytes.h5")))
        try Data(#"{"format": "consistency-td.checkpoint"}"#.utf8).write(to: URL(fileURLWithPath: path("json.h5")))
        for name in ["empty.h5", "text.h5", "random-bytes.h5", "json.h5"] {
            malformedCheckpoints.append((name, false))
            malformedTrajectoryFiles.append(path(name))
        }
        // HDF5 files of other layouts, written with the toolkit's HDF5 module.
        try writeHDF5("no-format.h5") { file in try file.createDataset("x", values: [Float(1), 2, 3]) }
        try writeHDF5("checkpoint-no-parameters.h5") { file in
            try file.setAttribute("format", "consistency-td.checkpoint")
            try file.setAttribute("format_version", Int64(1))
        }
        try writeHDF5("checkpoint-version-99.h5", from: "run/checkpoints/step-00000004.h5") { file in
            try file.deleteAttribute("format_version")
            try file.setAttribute("format_version", Int64(99))
        }
        try writeHDF5("checkpoint-wrong-shape.h5", from: "run/checkpoints/step-00000004.h5") { file in
            let group = try file.openGroup("parameters")
            let first = try group.members().map(\.name).sorted().first ?? "missing"
            try group.delete(first)
            try group.createDataset(first, values: [Float](repeating: 1, count: 3), shape: [3])
        }
        try writeHDF5("checkpoint-int-parameters.h5", from: "run/checkpoints/step-00000004.h5") { file in
            let group = try file.openGroup("parameters")
            for member in try group.members() {
                let shape = try group.openDataset(member.name).shape()
                try group.delete(member.name)
                try group.createDataset(member.name, values: [Int32](repeating: 7, count: shape.reduce(1, *)), shape: shape)
            }
        }
        try writeHDF5("checkpoint-nan-parameters.h5", from: "run/checkpoints/step-00000004.h5") { file in
            let group = try file.openGroup("parameters")
            for member in try group.members() {
                let shape = try group.openDataset(member.name).shape()
                try group.delete(member.name)
                try group.createDataset(member.name, values: [Float](repeating: .nan, count: shape.reduce(1, *)), shape: shape)
            }
        }
        try writeHDF5("checkpoint-no-optimizer.h5", from: "run/checkpoints/step-00000004.h5") { file in
            try file.delete("optimizer")
            try file.delete("parameters")
        }
        try writeHDF5("trajectories-as-checkpoint.h5", from: "valid-trajectories.h5") { file in
            try file.deleteAttribute("format")
            try file.setAttribute("format", "consistency-td.checkpoint")
        }
        try writeHDF5("trajectories-no-observations.h5", from: "valid-trajectories.h5") { file in try file.delete("observations") }
        try writeHDF5("trajectories-wrong-shape.h5", from: "valid-trajectories.h5") { file in
            try file.delete("actions")
            try file.createDataset("actions", values: [Float](repeating: 0, count: 6), shape: [3, 2])
        }
        try writeHDF5("trajectories-version-7.h5", from: "valid-trajectories.h5") { file in
            try file.deleteAttribute("format_version")
            try file.setAttribute("format_version", Int64(7))
        }
        // Extents no machine holds (a sparse chunked dataset of 10¹² rows, a few hundred bytes on disk):
        // the reader must refuse before allocating, not abort in malloc or page the machine to death.
        let hugeRows = 1_000_000_000_000
        let sparse = HDF5DatasetOptions(chunkShape: [1024, 2])
        try writeHDF5("checkpoint-huge-parameter.h5", from: "run/checkpoints/step-00000004.h5") { file in
            let group = try file.openGroup("parameters")
            let first = try group.members().map(\.name).sorted().first ?? "missing"
            try group.delete(first)
            _ = try group.createDataset(first, of: Float.self, shape: [hugeRows, 2], options: sparse)
        }
        try writeHDF5("trajectories-huge-observations.h5", from: "valid-trajectories.h5") { file in
            try file.delete("observations")
            _ = try file.createDataset("observations", of: Float.self, shape: [hugeRows, 2], options: sparse)
        }
        try writeHDF5("data-huge.h5") { file in _ = try file.createDataset("data", of: Float.self, shape: [hugeRows, 2], options: sparse) }
        malformedTrajectoryFiles.append(path("trajectories-huge-observations.h5"))
        for name in ["no-format.h5", "checkpoint-no-parameters.h5", "checkpoint-version-99.h5", "checkpoint-wrong-shape.h5",
                     "checkpoint-int-parameters.h5", "checkpoint-no-optimizer.h5", "trajectories-as-checkpoint.h5",
                     "checkpoint-huge-parameter.h5"] {
            malformedCheckpoints.append((name, false))
        }
        // NaN weights are a readable checkpoint; the commands that use it must refuse it, not print NaN samples.
        malformedCheckpoints.append(("checkpoint-nan-parameters.h5", false))
        for name in ["no-format.h5", "checkpoint-no-parameters.h5", "trajectories-no-observations.h5", "trajectories-wrong-shape.h5",
                     "trajectories-version-7.h5", "run/checkpoints/step-00000004.h5"] {
            malformedTrajectoryFiles.append(path(name))
        }
        // An h5py-written file of another layout (float64 parameters, no attributes), when h5py is installed.
        if let python = H5pyPython.command {
            let script = """
                import h5py, numpy as np
                with h5py.File('\(path("h5py-checkpoint.h5"))', 'w') as f:
                    f.attrs['format'] = 'consistency-td.checkpoint'
                    f.attrs['format_version'] = np.int64(1)
                    f.create_dataset('parameters/blocks.0.weight', data=np.ones((4, 4)))
                with h5py.File('\(path("h5py-trajectories.h5"))', 'w') as f:
                    f.attrs['format'] = 'consistency-td.trajectories'
                    f.attrs['format_version'] = np.int64(1)
                    f.create_dataset('observations', data=np.zeros((2, 3)))
                """
            let result = try H5pyPython.run(python, ["-c", script])
            if result.status == 0 {
                malformedCheckpoints.append(("h5py-checkpoint.h5", false))
                malformedTrajectoryFiles.append(path("h5py-trajectories.h5"))
                malformedTrajectoryFiles.append(path("h5py-checkpoint.h5"))
            }
        }
    }

    private mutating func record(_ kind: String, _ name: String, mayPass: Bool) {
        switch kind {
        case "checkpoint": malformedCheckpoints.append((name, mayPass))
        case "trajectories":
            malformedOtherFiles.append((name, mayPass))
            if !mayPass { malformedTrajectoryFiles.append(path(name)) }
        default: malformedOtherFiles.append((name, mayPass))
        }
    }

    /// Writes a new HDF5 file `name`, or a copy of `source` changed by `body`.
    private func writeHDF5(_ name: String, from source: String? = nil, _ body: (HDF5File) throws -> Void) throws {
        if let source {
            try? FileManager.default.removeItem(atPath: path(name))
            try FileManager.default.copyItem(atPath: path(source), toPath: path(name))
        }
        let file = try HDF5File(path(name), mode: source == nil ? .truncate : .readWrite)
        try body(file)
        try file.close()
    }

    /// The command lines of the corpus.
    func cases() throws -> [MalformedInputCorpusTests.Case] {
        typealias Case = MalformedInputCorpusTests.Case
        var cases: [Case] = []
        // Every command that reads a checkpoint, with every malformed checkpoint.
        for (index, (name, mayPass)) in malformedCheckpoints.enumerated() {
            cases.append(Case(name: name, arguments: ["sample", "--checkpoint", name, "--count", "8", "--out", "s-\(index).h5"], mayPass: mayPass))
            // inspect describes any HDF5 file: one of another layout, or whose arrays do not fit the network it
            // names (a check of loading, not of the file), is not an error for it.
            cases.append(Case(name: name, arguments: ["inspect", name], mayPass: mayPass || ["no-format.h5", "checkpoint-wrong-shape.h5"].contains(name)))
            // A run folder whose latest checkpoint is the malformed file.
            let folder = "resume-\(index)"
            try? FileManager.default.removeItem(atPath: path(folder))
            try FileManager.default.copyItem(atPath: path("run"), toPath: path(folder))
            try? FileManager.default.removeItem(atPath: path(folder + "/checkpoints/step-00000004.h5"))
            try FileManager.default.copyItem(atPath: path(name), toPath: path(folder + "/checkpoints/step-00000004.h5"))
            cases.append(Case(name: name, arguments: ["resume", folder, "--steps", "6"], mayPass: mayPass))
            if index % 3 == 0 {      // the slower readers, on a third of the corpus
                cases.append(Case(name: name, arguments: ["evaluate", "--checkpoint", name, "--count", "16"], mayPass: mayPass))
                cases.append(Case(name: name, arguments: ["export-trajectories", "--policy", "checkpoint", "--checkpoint", name,
                                                          "--episodes", "2", "--steps", "2", "--out", "t-\(index).h5"], mayPass: mayPass))
                cases.append(Case(name: name, arguments: ["train", "--preset", "ect", "--from", name, "--steps", "2", "--run-dir", "from-\(index)"],
                                  mayPass: mayPass))
            }
        }
        for (name, mayPass) in malformedOtherFiles {
            cases.append(Case(name: name, arguments: ["inspect", name], mayPass: mayPass))
        }
        // A run folder whose metrics.h5 is damaged and whose metrics.csv is gone (with the CSV a
        // resume rebuilds metrics.h5 and succeeds: TrainerResumeTests), and one whose latest pointer
        // names nothing.
        for (index, fraction) in [0.0, 0.5].enumerated() {
            let folder = "bad-metrics-\(index)"
            try? FileManager.default.removeItem(atPath: path(folder))
            try FileManager.default.copyItem(atPath: path("run"), toPath: path(folder))
            let data = try Data(contentsOf: URL(fileURLWithPath: path(folder + "/metrics.h5")))
            try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path(folder + "/metrics.h5")))
            try FileManager.default.removeItem(atPath: path(folder + "/metrics.csv"))
            cases.append(Case(name: folder, arguments: ["resume", folder, "--steps", "6"]))
        }
        try? FileManager.default.removeItem(atPath: path("bad-latest"))
        try FileManager.default.copyItem(atPath: path("run"), toPath: path("bad-latest"))
        try Data("step-00000999.h5\n".utf8).write(to: URL(fileURLWithPath: path("bad-latest/checkpoints/latest")))
        cases.append(Case(name: "bad-latest", arguments: ["resume", "bad-latest", "--steps", "6"]))
        try Data("{\"preset\": 12}".utf8).write(to: URL(fileURLWithPath: path("bad-latest/run.json")))
        cases.append(Case(name: "bad run.json", arguments: ["resume", "bad-latest"]))

        // Configs: wrong types, unknown keys, NaN/∞, negative and huge sizes (YAML and JSON).
        let configs: [(String, String)] = [
            ("empty.yaml", ""),
            ("list.yaml", "- method\n- ict\n"),
            ("scalar.yaml", "ict\n"),
            ("garbage.yaml", "method: ict\ntraining: {steps: [1, 2\n"),
            ("tabs.yaml", "method: ict\n\ttraining: 3\n"),
            ("binary.yaml", String(decoding: [0xFF, 0xFE, 0x00, 0x41, 0x3A, 0x20, 0xC3], as: UTF8.self)),
            ("wrong-type-steps.yaml", "method: ict\ntraining: {steps: many}\n"),
            ("wrong-type-width.yaml", "method: ict\nnetwork: {width: [16]}\n"),
            ("wrong-type-method.yaml", "method: 7\n"),
            ("wrong-type-section.yaml", "method: ict\ntraining: 5\n"),
            ("wrong-type-seed.yaml", "method: ict\nseed: 1.5\n"),
            ("negative-seed.yaml", "method: ict\nseed: -1\n"),
            ("unknown-method.yaml", "method: ictt\n"),
            ("unknown-key.yaml", "method: ict\ntrainin: {steps: 3}\n"),
            ("unknown-nested-key.yaml", "method: ict\nnetwork: {widht: 16}\n"),
            ("nan-lr.yaml", "method: ict\ntraining: {learning_rate: .nan, steps: 2}\n"),
            ("inf-lr.yaml", "method: ict\ntraining: {learning_rate: .inf, steps: 2}\n"),
            ("neg-inf-tmax.yaml", "method: ict\ntraining: {t_max: -.inf, steps: 2}\n"),
            ("nan-dropout.yaml", "method: ict\nnetwork: {dropout: .nan}\ntraining: {steps: 2}\n"),
            ("negative-width.yaml", "method: ict\nnetwork: {width: -16}\n"),
            ("negative-batch.yaml", "method: ict\ntraining: {batch_size: -1}\n"),
            ("negative-steps.yaml", "method: ict\ntraining: {steps: -5}\n"),
            ("zero-checkpoint-every.yaml", "method: ict\ntraining: {checkpoint_every: 0}\n"),
            ("huge-width.yaml", "method: ict\nnetwork: {width: 1000000000000}\ntraining: {steps: 2}\n"),
            ("huge-depth.yaml", "method: ict\nnetwork: {depth: 1000000000000}\ntraining: {steps: 2}\n"),
            ("huge-batch.yaml", "method: ict\nnetwork: {width: 8, depth: 1}\ntraining: {batch_size: 1000000000000, steps: 2}\n"),
            ("huge-steps.yaml", "method: ict\ntraining: {steps: 1e30}\n"),
            ("huge-steps-int.yaml", "method: ict\ntraining: {steps: 1000000000000000000000000000000}\n"),
            ("huge-samples.yaml", "method: ict\nevaluation: {samples: 1000000000000, every: 1}\ntraining: {steps: 2}\n"),
            ("huge-modes.yaml", "method: ict\nenvironment: {kind: ring, modes: 1000000000000, radius: 2, std: 0.1}\ntraining: {steps: 2}\n"),
            ("deep-nesting.yaml", "method: ict\nnetwork: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"),
            ("wrong-type.json", #"{"method": "ict", "training": {"steps": "3"}}"#),
            ("unknown-key.json", #"{"method": "ict", "netwrk": {"width": 8}}"#),
            ("nan.json", #"{"method": "ict", "training": {"learning_rate": NaN}}"#),
            ("overflow.json", #"{"method": "ict", "training": {"learning_rate": 1e999}}"#),
            ("negative.json", #"{"method": "ict", "network": {"depth": -2}}"#),
            ("huge.json", #"{"method": "ict", "network": {"width": 1000000000000}, "training": {"steps": 2}}"#),
            ("truncated.json", #"{"method": "ict", "training": {"#),
            ("array.json", #"[1, 2, 3]"#),
            ("null.json", "null"),
        ]
        for (name, text) in configs {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
            cases.append(Case(name: name, arguments: ["train", "--config", name, "--run-dir", "cfg-" + name]))
        }
        // Sweep specs.
        let sweeps: [(String, String)] = [
            ("sweep-empty.yaml", ""),
            ("sweep-no-name.yaml", "config: {method: ict}\naxes: {seed: [0, 1]}\n"),
            ("sweep-axis-scalar.yaml", "name: s\nconfig: {method: ict}\naxes: {seed: 3}\n"),
            ("sweep-axis-empty.yaml", "name: s\nconfig: {method: ict}\naxes: {seed: []}\n"),
            ("sweep-unknown-axis.yaml", "name: s\nconfig: {method: ict}\naxes: {trainng.steps: [1, 2]}\n"),
            ("sweep-unknown-key.yaml", "name: s\nconfig: {method: ict}\naxes: {seed: [0]}\nshards: 4\n"),
            ("sweep-bad-values.yaml", "name: s\nconfig: {method: ict, training: {steps: 2}}\naxes: {training.learning_rate: [.nan, -1]}\n"),
            ("sweep-huge-width.yaml", "name: s\nconfig: {method: ict, training: {steps: 2}}\naxes: {network.width: [1000000000000]}\n"),
            ("sweep-negative-steps.yaml", "name: s\nconfig: {method: ict}\naxes: {training.steps: [-3]}\n"),
            ("sweep-wrong-types.yaml", "name: [s]\nconfig: ict\naxes: [seed]\n"),
            ("sweep-missing-base.yaml", "name: s\nbase: no-such-config.yaml\naxes: {seed: [0]}\n"),
            ("sweep-bad-name.yaml", "name: \"../../escape\"\nconfig: {method: ict, training: {steps: 2}}\naxes: {seed: [0]}\n"),
            ("sweep-garbage.json", #"{"name": "s", "axes": {"seed": [0, 1]"#),
            ("sweep-inf.json", #"{"name": "s", "config": {"method": "ict", "training": {"steps": 2}}, "axes": {"training.learning_rate": [1e999]}}"#),
        ]
        for (name, text) in sweeps {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
            cases.append(Case(name: name, arguments: ["sweep", "--config", name, "--out", "sweep-" + name]))
        }
        // Environment specs given to train and evaluate.
        let environments: [(String, String)] = [
            ("env-empty.json", ""),
            ("env-nan.json", #"{"kind": "ring", "modes": 8, "radius": 2, "std": NaN}"#),
            ("env-inf.json", #"{"kind": "ring", "modes": 8, "radius": 1e999, "std": 0.1}"#),
            ("env-negative-std.json", #"{"kind": "ring", "modes": 8, "radius": 2, "std": -0.1}"#),
            ("env-negative-modes.json", #"{"kind": "ring", "modes": -8, "radius": 2, "std": 0.1}"#),
            ("env-huge-modes.json", #"{"kind": "ring", "modes": 1000000000000, "radius": 2, "std": 0.1}"#),
            ("env-wrong-type.json", #"{"kind": "ring", "modes": "eight", "radius": 2, "std": 0.1}"#),
            ("env-unknown-key.json", #"{"kind": "ring", "modes": 8, "radius": 2, "std": 0.1, "colour": "red"}"#),
            ("env-nan.yaml", "kind: ring\nmodes: 8\nradius: .nan\nstd: 0.1\n"),
            ("env-huge-data.json", #"{"kind": "empirical", "path": "data-huge.h5"}"#),
        ]
        for (name, text) in environments {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
            cases.append(Case(name: name, arguments: ["train", "--preset", "ict", "--environment", name, "--steps", "2", "--run-dir", "env-" + name]
                              + CLI.tiny))
            cases.append(Case(name: name, arguments: ["evaluate", "--checkpoint", "run", "--environment", name, "--count", "16"]))
        }
        // Huge and negative sizes given as flags.
        let flags: [[String]] = [
            ["train", "--preset", "ict", "--width", "1000000000000", "--steps", "2", "--run-dir", "flag-width"],
            ["train", "--preset", "ict", "--depth", "1000000000000", "--steps", "2", "--run-dir", "flag-depth"],
            ["train", "--preset", "ict", "--batch-size", "1000000000000", "--width", "8", "--depth", "1", "--steps", "2", "--run-dir", "flag-batch"],
            ["train", "--preset", "ict", "--steps", "1000000000000000000000000000000", "--run-dir", "flag-steps"],
            ["train", "--preset", "ict", "--width", "-3", "--run-dir", "flag-negative"],
            ["train", "--preset", "ict", "--learning-rate", "nan", "--run-dir", "flag-nan"],
            ["train", "--preset", "ict", "--learning-rate", "inf", "--run-dir", "flag-inf"],
            ["train", "--preset", "ict", "--max-time", "nan", "--steps", "2", "--run-dir", "flag-tmax"],
            ["sample", "--checkpoint", "run", "--count", "1000000000000", "--out", "huge-samples.h5"],
            ["sample", "--checkpoint", "run", "--count", "-1", "--out", "negative-samples.h5"],
            ["sample", "--checkpoint", "run", "--middle-time", "nan", "--steps", "2", "--out", "nan-samples.h5"],
            ["evaluate", "--checkpoint", "run", "--count", "1000000000000"],
            ["export-trajectories", "--episodes", "-2", "--steps", "3", "--out", "neg.h5"],
            ["export-trajectories", "--episodes", "2", "--steps", "1000000000000", "--out", "huge-steps.h5"],
            ["export-trajectories", "--episodes", "1000000000000000", "--steps", "1000000000000", "--out", "huge-both.h5"],
            ["resume", "run", "--steps", "1000000000000000000000000000000"],
        ]
        for arguments in flags { cases.append(Case(name: "flags", arguments: arguments)) }
        return cases
    }
}
