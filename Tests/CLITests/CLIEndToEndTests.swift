import CLIProcess
import Foundation
import HDF5
import Replay
import Testing

/// Every command of `consistency-td` run as a subprocess on a tiny configuration (width 16, depth 1,
/// a few dozen steps): the files it promises exist with the promised layout and contents, and every
/// path it lists at the end exists.
@Suite("consistency-td end to end", .serialized)
struct CLIEndToEndTests {
    /// The paths of the "wrote:" block of standard output.
    static func writtenPaths(_ output: String, in folder: String) -> [String] {
        guard let block = output.components(separatedBy: "wrote:\n").last, output.contains("wrote:\n") else { return [] }
        return block.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let last = parts.last else { return nil }
            let path = String(last)
            return path.hasPrefix("/") ? path : folder + "/" + path
        }
    }

    static func expectSuccess(_ result: CLIResult, _ context: String) {
        #expect(result.status == 0, "\(context): \(result.standardError)")
    }

    static func expectWrittenPathsExist(_ result: CLIResult, in folder: String, atLeast count: Int) {
        let paths = writtenPaths(result.standardOutput, in: folder)
        #expect(paths.count >= count, "\(result.standardOutput)")
        for path in paths { #expect(FileManager.default.fileExists(atPath: path), "listed but missing: \(path)") }
    }

    @Test("train (diffusion, then ECT from it) → sample 1/2 steps → evaluate → inspect: files, shapes, determinism, listed paths")
    func trainSampleEvaluateInspect() throws {
        let folder = try CLI.temporaryFolder("pipeline")
        let teacher = try CLI.run(["train", "--preset", "diffusion", "--steps", "20", "--run-dir", "teacher", "--seed", "1",
                                   "--checkpoint-every", "10"] + CLI.tiny, in: folder)
        Self.expectSuccess(teacher, "train diffusion")
        for name in ["run.json", "metrics.h5", "metrics.csv", "provenance.json", "checkpoints/step-00000020.h5"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/teacher/" + name), "missing teacher/\(name)")
        }
        Self.expectWrittenPathsExist(teacher, in: folder, atLeast: 5)

        let ect = try CLI.run(["train", "--preset", "ect", "--from", "teacher", "--steps", "20", "--run-dir", "ect", "--seed", "1",
                               "--batch-size", "32"], in: folder)
        Self.expectSuccess(ect, "train ect --from")
        #expect(FileManager.default.fileExists(atPath: folder + "/ect/checkpoints/step-00000020.h5"))

        for steps in ["1", "2"] {
            let sample = try CLI.run(["sample", "--checkpoint", "ect/checkpoints/step-00000020.h5", "--count", "50", "--steps", steps,
                                      "--seed", "3", "--out", "s\(steps).h5"], in: folder)
            Self.expectSuccess(sample, "sample --steps \(steps)")
            let (values, shape) = try CLI.readFloats(folder + "/s\(steps).h5", dataset: "samples")
            #expect(shape == [50, 2])
            #expect(values.allSatisfy { $0.isFinite })
            Self.expectWrittenPathsExist(sample, in: folder, atLeast: 1)
        }
        let again = try CLI.run(["sample", "--checkpoint", "ect", "--count", "50", "--steps", "1", "--seed", "3", "--out", "again.h5"], in: folder)
        Self.expectSuccess(again, "sample again (run folder → latest)")
        let other = try CLI.run(["sample", "--checkpoint", "ect", "--count", "50", "--steps", "1", "--seed", "4", "--out", "other.h5"], in: folder)
        Self.expectSuccess(other, "sample other seed")
        let first = try CLI.readFloats(folder + "/s1.h5", dataset: "samples").values
        #expect(try CLI.readFloats(folder + "/again.h5", dataset: "samples").values == first, "same seed, same samples")
        #expect(try CLI.readFloats(folder + "/other.h5", dataset: "samples").values != first, "another seed, other samples")
        #expect(try CLI.readFloats(folder + "/s2.h5", dataset: "samples").values != first, "2-step differs from 1-step")
        let online = try CLI.run(["sample", "--checkpoint", "ect", "--count", "50", "--seed", "3", "--parameters", "online", "--out", "online.h5"],
                                 in: folder)
        Self.expectSuccess(online, "sample --parameters online")
        #expect(try CLI.readFloats(folder + "/online.h5", dataset: "samples").values != first, "online parameters differ from the EMA")

        let heun = try CLI.run(["sample", "--checkpoint", "teacher", "--count", "20", "--heun-steps", "4", "--out", "heun.h5"], in: folder)
        Self.expectSuccess(heun, "sample a diffusion checkpoint")
        #expect(heun.standardOutput.contains("heun-4"))

        let evaluation = try CLI.run(["evaluate", "--checkpoint", "ect", "--count", "64", "--seed", "0", "--out", "evaluation.json"], in: folder)
        Self.expectSuccess(evaluation, "evaluate")
        #expect(evaluation.standardOutput.contains("1-step") && evaluation.standardOutput.contains("2-step"))
        #expect(evaluation.standardOutput.contains("/8"), "mode coverage on the ring of 8")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/evaluation.json"))) as? [String: Any]
        let samplers = json?["samplers"] as? [String: Any] ?? [:]
        #expect(Set(samplers.keys) == ["1-step", "2-step"])
        for (_, entry) in samplers {
            let metrics = entry as? [String: Any] ?? [:]
            func value(_ key: String) -> Double? { (metrics[key] as? NSNumber)?.doubleValue }
            for key in ["nll_gap", "mode_coverage", "precision", "sliced_wasserstein2_squared", "mmd2", "energy_distance"] {
                #expect(value(key)?.isFinite == true, "\(key) missing or not finite")
            }
            #expect((value("precision") ?? -1) >= 0 && (value("precision") ?? 2) <= 1)
        }

        let evaluationFile = try CLI.run(["evaluate", "--checkpoint", "ect", "--count", "64", "--out", "evaluation.h5"], in: folder)
        Self.expectSuccess(evaluationFile, "evaluate --out .h5")
        #expect(try CLI.readFloats(folder + "/evaluation.h5", dataset: "2-step/samples").shape == [64, 2])
        let inspectEvaluation = try CLI.run(["inspect", "evaluation.h5"], in: folder)
        #expect(inspectEvaluation.standardOutput.contains("samplers 1-step, 2-step"), "\(inspectEvaluation.standardOutput)")

        let inspect = try CLI.run(["inspect", "ect/checkpoints/step-00000020.h5"], in: folder)
        Self.expectSuccess(inspect, "inspect checkpoint")
        #expect(inspect.standardOutput.contains("checkpoint: ect, step 20, seed 1"))
        #expect(inspect.standardOutput.contains("/parameters"))
        let inspectSamples = try CLI.run(["inspect", "s1.h5"], in: folder)
        #expect(inspectSamples.standardOutput.contains("samples: 50 × 2 from a ect checkpoint"))
        let inspectMetrics = try CLI.run(["inspect", "ect/metrics.h5"], in: folder)
        #expect(inspectMetrics.standardOutput.contains("metrics: 20 rows up to step 20"))
    }

    @Test("resume after losing the newest checkpoint ends bit-identical to the uninterrupted run; --steps extends a run")
    func resumeIsBitIdentical() throws {
        let folder = try CLI.temporaryFolder("resume")
        let trained = try CLI.run(["train", "--preset", "ict", "--steps", "30", "--run-dir", "ict", "--checkpoint-every", "10"] + CLI.tiny,
                                  in: folder)
        Self.expectSuccess(trained, "train ict")
        let checkpoints = folder + "/ict/checkpoints"
        let uninterrupted = try CLI.readFloats(checkpoints + "/step-00000030.h5", dataset: "parameters/layers.0.weight").values
        try FileManager.default.removeItem(atPath: checkpoints + "/step-00000030.h5")
        try "step-00000020.h5\n".write(toFile: checkpoints + "/latest", atomically: true, encoding: .utf8)

        let resumed = try CLI.run(["resume", "ict"], in: folder)
        Self.expectSuccess(resumed, "resume")
        #expect(resumed.standardOutput.contains("steps 20 → 30"))
        let again = try CLI.readFloats(checkpoints + "/step-00000030.h5", dataset: "parameters/layers.0.weight").values
        #expect(again == uninterrupted)

        let extended = try CLI.run(["resume", "ict", "--steps", "40"], in: folder)
        Self.expectSuccess(extended, "resume --steps 40")
        #expect(FileManager.default.fileExists(atPath: checkpoints + "/step-00000040.h5"))
        Self.expectWrittenPathsExist(extended, in: folder, atLeast: 4)
    }

    @Test("analyze-targets writes the contract layout; the exact estimator with the exact bootstrap has bias < 1e-5")
    func analyzeTargets() throws {
        let folder = try CLI.temporaryFolder("targets")
        try #"{"kind": "ring", "modes": 4, "radius": 2, "std": 0.2}"#.write(toFile: folder + "/ring.json", atomically: true, encoding: .utf8)
        let result = try CLI.run(["analyze-targets", "--environment", "ring.json", "--t", "1.0,5.0", "--r-ratio", "0.9,0.5",
                                  "--estimators", "exact,conditional,score-identity", "--reference-size", "8", "--points", "6",
                                  "--samples", "16", "--seed", "0", "--out", "bv.h5"], in: folder)
        Self.expectSuccess(result, "analyze-targets")
        Self.expectWrittenPathsExist(result, in: folder, atLeast: 1)
        let file = try HDF5File(folder + "/bv.h5", mode: .readOnly)
        defer { try? file.close() }
        let pairs = [(1.0, 0.9), (1.0, 0.5), (5.0, 4.5), (5.0, 2.5)]
        for (k, pair) in pairs.enumerated() {
            let group = try file.openGroup("pairs/\(k)")
            #expect(try group.attribute("t", as: Double.self) == pair.0)
            #expect(abs(try group.attribute("r", as: Double.self) - pair.1) < 1e-12)
            for name in ["x0", "xt", "exact_value"] { #expect(try group.openDataset(name).shape() == [6, 2]) }
            for estimator in ["exact", "conditional", "score-identity-8"] {
                #expect(try group.openDataset("estimators/\(estimator)/mean_target").shape() == [6, 2])
                #expect(try group.openDataset("estimators/\(estimator)/variance").shape() == [6])
            }
            let bias: [Double] = try group.openDataset("estimators/exact/bias").read()
            #expect(bias.allSatisfy { $0 < 1e-5 }, "\(bias)")
        }
        let t: [Double] = try file.openDataset("summary/t").read()
        #expect(t == [1, 1, 5, 5])
        for name in ["bias", "variance", "bias_stderr", "variance_stderr"] {
            #expect(try file.openDataset("summary/conditional/\(name)").shape() == [4])
        }
        let inspect = try CLI.run(["inspect", "bv.h5"], in: folder)
        #expect(inspect.standardOutput.contains("target diagnostics: 4 pairs"))
    }

    @Test("quickstart at a tiny scale trains all four models, evaluates against held-out data, diagnoses and lists its files")
    func quickstartTiny() throws {
        let folder = try CLI.temporaryFolder("quickstart")
        let result = try CLI.run(["quickstart", "--out", "qs", "--scale", "0.005", "--count", "64"], in: folder)
        Self.expectSuccess(result, "quickstart")
        for name in ["diffusion heun-18", "ect 1-step", "ect 2-step", "sct 1-step", "sct 2-step", "ict 1-step", "ict 2-step"] {
            #expect(result.standardOutput.contains(name), "summary lacks \(name)")
        }
        #expect(result.standardOutput.contains("quick start summary"))
        #expect(result.standardOutput.contains("vs 64 held-out data points"))
        try Self.expectQuickstartDistancesAgainstHeldOutData(folder: folder, count: 64)
        for name in ["evaluation.h5", "target-diagnostics.h5", "runs/diffusion/run.json", "runs/ect/metrics.h5", "runs/sct/metrics.h5",
                     "runs/ict/metrics.h5", "trajectories-heun.h5", "trajectories-ect.h5"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/qs/" + name), "missing qs/\(name)")
        }
        for (name, steps) in [("trajectories-heun.h5", 18), ("trajectories-ect.h5", 2)] {
            let dataset = try TrajectoryDataset(path: folder + "/qs/" + name)
            #expect(dataset.episodeCount == 1000 && dataset.times.count == steps + 1 && dataset.valueNames == ["exact"], "\(name)")
            try dataset.close()
        }
        Self.expectWrittenPathsExist(result, in: folder, atLeast: 22)
    }

    /// The quick start's distances are against N held-out data points (METHODS.md §9), not against the
    /// teacher's samples: the teacher's own Heun-18 row has SW₂² > 0 (against itself it would be exactly
    /// 0), and every row equals, metric for metric, what `evaluate` (fresh data from (seed,
    /// "cli.evaluate.data", 0)) reports for that run's checkpoint and sampler with the same seed and count.
    static func expectQuickstartDistancesAgainstHeldOutData(folder: String, count: Int) throws {
        let quickstart = try HDF5File(folder + "/qs/evaluation.h5")
        #expect(try quickstart.stringAttribute("reference").contains("\(count) held-out data samples"))
        let teacherDistance = try quickstart.openGroup("diffusion heun-18").attribute("sliced_wasserstein2_squared", as: Double.self)
        #expect(teacherDistance > 0, "the teacher's SW2² \(teacherDistance); 0 means it was scored against its own samples")
        let metricNames = ["nll", "nll_gap", "data_nll", "mode_coverage", "covered_modes", "precision", "non_finite_samples",
                           "sliced_wasserstein2_squared", "mmd2", "energy_distance"]
        let samplers = [("diffusion", ["heun-18"]), ("ect", ["1-step", "2-step"]), ("sct", ["1-step", "2-step"]),
                        ("ict", ["1-step", "2-step"])]
        for (run, names) in samplers {
            let evaluate = try CLI.run(["evaluate", "--checkpoint", "qs/runs/\(run)", "--count", "\(count)", "--seed", "0",
                                        "--out", "evaluate-\(run).h5"], in: folder)
            Self.expectSuccess(evaluate, "evaluate qs/runs/\(run)")
            let direct = try HDF5File(folder + "/evaluate-\(run).h5")
            for name in names {
                let row = try quickstart.openGroup("\(run) \(name)"), expected = try direct.openGroup(name)
                for metric in metricNames {
                    let value = try row.attribute(metric, as: Double.self), wanted = try expected.attribute(metric, as: Double.self)
                    #expect(value == wanted || (value.isNaN && wanted.isNaN), "\(run) \(name) \(metric): quickstart \(value), evaluate \(wanted)")
                }
            }
        }
    }
}
