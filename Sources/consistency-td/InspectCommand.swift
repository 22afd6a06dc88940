import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td inspect FILE.h5`: a short summary of the toolkit's own files (by their `format`
/// attribute: checkpoints, metrics, samples, evaluations, target diagnostics, trajectory datasets)
/// followed by HDF5's ``HDF5Inspector`` listing of every group, dataset and attribute.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe an HDF5 file: a summary of consistency-td files, then every object and attribute.",
        discussion: "Example: consistency-td inspect runs/ect/checkpoints/step-00004000.h5"
    )

    @Argument(help: ArgumentHelp("The HDF5 file.", valueName: "FILE.h5"))
    var file: String

    @Flag(help: "Recover FILE, a partial trajectory dataset (<name>.partial, left by an interrupted write): keep its committed episodes and publish them as <name>, marked complete = false.")
    var recover = false

    func run() throws {
        if recover { return try recoverPartial() }
        guard FileManager.default.fileExists(atPath: file) else {
            let partial = TrajectoryDatasetWriter.partialPath(for: file)
            if TrajectoryDatasetWriter.isBeingWritten(partialPath: partial) {
                throw CommandLineFailure("'\(file)' does not exist yet: '\(partial)' is being written by a running writer; wait for it to finish")
            }
            if FileManager.default.fileExists(atPath: partial) {
                throw CommandLineFailure("'\(file)' does not exist, but '\(partial)' is a partial trajectory dataset left by an interrupted write; recover its committed episodes with `consistency-td inspect --recover \(partial)` or remove it")
            }
            throw CommandLineFailure("'\(file)' does not exist; expected an HDF5 file")
        }
        guard (try? HDF5File.isHDF5(file)) == true else {
            throw CommandLineFailure("'\(file)' is not an HDF5 file; inspect reads HDF5 files (checkpoints, metrics.h5, samples, diagnostics, trajectories)")
        }
        let summary = try Self.summary(of: file)
        if !summary.isEmpty { print(summary.joined(separator: "\n") + "\n") }
        print(try HDF5Inspector.describe(path: file))
    }

    /// The summary lines for a file of a known format (empty for other files).
    static func summary(of path: String) throws -> [String] {
        let file = try HDF5File(path, mode: .readOnly)
        defer { try? file.close() }
        guard (try? file.hasAttribute("format")) == true, let format = try? file.stringAttribute("format") else { return [] }
        switch format {
        case Checkpoint.formatName:
            let checkpoint = try CheckpointFile.read(from: path)
            let parameters = checkpoint.parameters.reduce(0) { $0 + $1.values.count }
            var lines = ["checkpoint: \(checkpoint.method), step \(checkpoint.step), seed \(checkpoint.seed), written \(checkpoint.createdUTC)",
                         "  \(parameters) parameters in \(checkpoint.parameters.count) arrays"
                             + (checkpoint.averages.isEmpty ? "" : ", evaluation averages " + checkpoint.averages.map(\.rate).joined(separator: ", "))
                             + (checkpoint.optimizer.map { ", optimizer \($0.kind) at step \($0.stepCount)" } ?? "")]
            lines.append("  config: \(checkpoint.configuration)")
            return lines
        case TargetDiagnosticsResult.fileFormat:
            let names = try file.stringArrayAttribute("estimators")
            let t: [Double] = try file.openDataset("summary/t").read()
            let r: [Double] = try file.openDataset("summary/r").read()
            var lines = ["target diagnostics: \(t.count) pairs (t, r), estimators " + names.joined(separator: ", "),
                         "  " + "t".padding(toLength: 9, withPad: " ", startingAt: 0) + "r".padding(toLength: 9, withPad: " ", startingAt: 0)
                             + "estimator".padding(toLength: 24, withPad: " ", startingAt: 0) + "bias         variance"]
            for name in names {
                let bias: [Double] = try file.openDataset("summary/\(name)/bias").read()
                let variance: [Double] = try file.openDataset("summary/\(name)/variance").read()
                for k in t.indices {
                    lines.append("  " + String(format: "%-9.4g%-9.4g", t[k], r[k]) + name.padding(toLength: 24, withPad: " ", startingAt: 0)
                                 + String(format: "%.3e    %.3e", bias[k], variance[k]))
                }
            }
            return lines
        case SamplesFile.format:
            let samples = try file.openDataset("samples")
            let shape = try samples.shape()
            let method = (try? file.stringAttribute("method")) ?? "?"
            let sampler = (try? file.stringAttribute("sampler")) ?? "?"
            let values: [Float] = try samples.read()
            let dimension = shape.count == 2 ? shape[1] : 1
            let count = values.count / max(dimension, 1)
            var lines = ["samples: \(shape.map(String.init).joined(separator: " × ")) from a \(method) checkpoint, sampler \(sampler)"]
            for d in 0..<min(dimension, 8) where count > 0 {
                let column = (0..<count).map { Double(values[$0 * dimension + d]) }
                let mean = column.reduce(0, +) / Double(count)
                let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)).squareRoot()
                lines.append(String(format: "  dimension %d: mean %.4f, std %.4f", d, mean, std))
            }
            return lines
        case "consistency-td.metrics":
            try file.close()
            let stored = try MetricsStore.read(path)
            let last = stored.steps.last.map(String.init) ?? "none"
            return ["metrics: \(stored.steps.count) rows up to step \(last), series " + stored.series.keys.sorted().joined(separator: ", ")]
        case "consistency-td.evaluation":
            let samplers = (try? file.stringArrayAttribute("samplers")) ?? []
            var lines = ["evaluation of \((try? file.stringAttribute("checkpoint")) ?? "?"): samplers " + samplers.joined(separator: ", ")]
            for sampler in samplers {
                let group = try file.openGroup(sampler)
                let metrics = try group.attributeNames().sorted().map { name in
                    "\(name) " + String(format: "%.4g", (try? group.attribute(name, as: Double.self)) ?? .nan)
                }
                lines.append("  \(sampler): " + metrics.joined(separator: ", "))
            }
            return lines
        case TrajectoryDatasetMetadata.format:
            let complete = (try? file.hasAttribute("complete")) == true ? (try? file.attribute("complete", as: Bool.self)) : true
            if complete == false, (try? file.hasAttribute("recovered_from")) != true {
                let committed = (try? file.attribute("episode_count", as: Int64.self)).map(String.init) ?? "an unknown number of"
                if TrajectoryDatasetWriter.isBeingWritten(partialPath: path) {
                    return ["partial trajectory dataset being written right now by a running writer: \(committed) committed episodes so far",
                            "  wait for its writer to finish"]
                }
                return ["partial trajectory dataset (its writer did not finish): \(committed) committed episodes",
                        "  recover them with `consistency-td inspect --recover \(path)`"]
            }
            try file.close()
            let dataset: TrajectoryDataset
            do { dataset = try TrajectoryDataset(path: path) } catch {
                throw CommandLineFailure("'\(path)' claims to be a trajectory dataset but cannot be read: \(error)")
            }
            defer { try? dataset.close() }
            let metadata = dataset.metadata
            let steps = dataset.times.count - 1
            let list: ([String]) -> String = { $0.isEmpty ? "none" : $0.sorted().joined(separator: ", ") }
            return ["trajectory dataset: \(dataset.episodeCount) episodes × K = \(steps) steps, D = \(dataset.dimension)"
                        + (dataset.hasLabels ? ", with labels" : "")
                        + (dataset.recoveredFrom.map { "; recovered from \($0) (complete = false)" } ?? ""),
                    "  policy \(metadata.estimator), solver \(metadata.solver), seed \(metadata.seed)",
                    "  time grid \(metadata.timeGrid): " + String(format: "t_max %.4g → t_min %.4g", dataset.times.first ?? .nan, dataset.times.last ?? .nan),
                    "  values: \(list(dataset.valueNames)); targets: \(list(dataset.targetNames))",
                    "  written by toolkit \(metadata.toolkitVersion) at \(metadata.createdUTC)",
                    "  environment: \(metadata.environment)"]
        default:
            return ["format: \(format) (not a consistency-td format this build summarises)"]
        }
    }

    /// `--recover`: ``TrajectoryDatasetWriter/recover(partialPath:to:)`` on FILE.
    func recoverPartial() throws {
        let recovery: TrajectoryRecovery
        do { recovery = try TrajectoryDatasetWriter.recover(partialPath: file) } catch {
            throw CommandLineFailure("\(error)")
        }
        var line = "recovered \(recovery.episodeCount) episodes from '\(recovery.partialPath)' (its commit record names \(recovery.committedEpisodeCount))"
        if recovery.truncatedAtDamage { line += "; shortened at a committed chunk that was missing or failed its checksum" }
        print(line)
        var outputs = OutputList()
        outputs.add("trajectory dataset (complete = false)", recovery.path)
        if let damaged = recovery.damagedCopyPath {
            print("the partial file is kept unchanged as '\(damaged)': episodes after the damage may still be read from it")
            outputs.add("damaged partial file (kept)", damaged)
        }
        outputs.show()
    }
}
