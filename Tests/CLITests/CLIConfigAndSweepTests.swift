import CLIProcess
import ExperimentKit
import Foundation
import Testing

/// `train --config` with `--set` and flags (precedence file < --set < flags; config.yaml and run.json
/// agree; resume continues from config.yaml), unknown keys, and `sweep` sharded vs serial.
@Suite("consistency-td train --config and sweep", .serialized)
struct CLIConfigAndSweepTests {
    static let tinyConfig = """
        method: ict
        seed: 9
        network: {width: 16, depth: 1}
        training: {steps: 6, batch_size: 32, checkpoint_every: 3, learning_rate: 0.001}
        """

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("train --config: file < --set < explicit flags; config.yaml and run.json agree; resume extends the run")
    func configSetAndFlagPrecedence() throws {
        let folder = try CLI.temporaryFolder("config-train")
        try Self.write(Self.tinyConfig, to: folder + "/ring.yaml")
        let result = try CLI.run(["train", "--config", "ring.yaml", "--set", "training.learning_rate=0.0002", "--set", "training.steps=7",
                                  "--set", "seed=4", "--steps", "8", "--run-dir", "cfg"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("loss "), "the progress lines show no loss: \(result.standardError)")
        let configuration = try ExperimentRunFolder(path: folder + "/cfg").configuration()
        #expect(configuration.method == .consistency(.ict))
        #expect(configuration.training.learningRate == 0.0002)      // --set over the file
        #expect(configuration.training.steps == 8)                   // the flag over --set
        #expect(configuration.seed == 4)                             // --set over the file
        #expect(configuration.network.width == 16 && configuration.training.batchSize == 32)
        for name in ["config.yaml", "provenance.json", "run.json", "metrics.h5", "checkpoints/step-00000008.h5"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/cfg/" + name), "missing cfg/\(name)")
        }
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/cfg/run.json"))) as? [String: Any]
        #expect((run?["steps"] as? NSNumber)?.intValue == 8 && (run?["seed"] as? NSNumber)?.intValue == 4)
        #expect(run?["configurationFile"] as? String == "config.yaml" && run?["preset"] as? String == "ict")

        let resumed = try CLI.run(["resume", "cfg", "--steps", "10"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder + "/cfg/checkpoints/step-00000010.h5"))

        // A config.yaml edited behind run.json's back is refused, in one line.
        let yaml = try String(contentsOfFile: folder + "/cfg/config.yaml", encoding: .utf8)
        try Self.write(yaml.replacingOccurrences(of: "seed: 4", with: "seed: 5"), to: folder + "/cfg/config.yaml")
        let refused = try CLI.run(["resume", "cfg", "--steps", "12"], in: folder)
        #expect(refused.status != 0 && refused.errorLines.count == 1 && refused.standardError.contains("disagree"), "\(refused.standardError)")
    }

    @Test("train --config evaluates as evaluation: says — every N steps and at the last, also after a resume — and prints it")
    func configuredEvaluation() throws {
        let folder = try CLI.temporaryFolder("config-evaluation")
        try Self.write(Self.tinyConfig + """

            evaluation: {every: 5, samples: 64, sample_steps: [1, 2], middle_time: 1.5, metrics: [sliced-wasserstein, nll]}
            """, to: folder + "/ring.yaml")
        let result = try CLI.run(["train", "--config", "ring.yaml", "--run-dir", "eval"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("evaluation at step 6:") && result.standardOutput.contains("eval/2-step/nll"),
                "\(result.standardOutput)")
        let resumed = try CLI.run(["resume", "eval", "--steps", "8"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")

        let metrics = try MetricsStore.read(folder + "/eval/metrics.h5")
        #expect(metrics.steps == Array(1...8))
        let names = ["1-step/nll", "1-step/nll_gap", "1-step/sliced_wasserstein2_squared", "1-step/non_finite_samples",
                     "2-step/nll", "2-step/nll_gap", "2-step/sliced_wasserstein2_squared", "2-step/non_finite_samples"]
        #expect(Set(metrics.series.keys.filter { $0.hasPrefix("eval/") }) == Set(names.map { "eval/" + $0 }))
        for name in names {
            let column = try #require(metrics.series["eval/" + name])
            let evaluated = column.indices.filter { !column[$0].isNaN }.map { $0 + 1 }
            #expect(evaluated == [5, 6, 8], "eval/\(name) recorded at steps \(evaluated)")
        }
        let sw = try #require(metrics.series["eval/1-step/sliced_wasserstein2_squared"])
        #expect(sw[4] > 0 && sw[5] > 0 && sw[4] != sw[5])

        // Without metrics there is no evaluation at all.
        try Self.write(Self.tinyConfig + "\nevaluation: {metrics: []}\n", to: folder + "/off.yaml")
        let off = try CLI.run(["train", "--config", "off.yaml", "--run-dir", "off"], in: folder)
        #expect(off.status == 0 && !off.standardOutput.contains("evaluation at step"), "\(off.standardError)")
        #expect(try MetricsStore.read(folder + "/off/metrics.h5").series.keys.allSatisfy { !$0.hasPrefix("eval/") })
    }

    @Test("an unknown --set key fails with one line naming the nearest valid key")
    func unknownKeySuggestsNearest() throws {
        let folder = try CLI.temporaryFolder("config-unknown")
        try Self.write(Self.tinyConfig, to: folder + "/ring.yaml")
        let result = try CLI.run(["train", "--config", "ring.yaml", "--set", "training.learning_rat=0.1", "--run-dir", "bad"], in: folder)
        #expect(result.status != 0)
        #expect(result.errorLines.count == 1, "\(result.standardError)")
        #expect(result.errorLines.first?.hasPrefix("error: ") == true)
        #expect(result.standardError.contains("training.learning_rat") && result.standardError.contains("training.learning_rate"),
                "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/bad"))
        // A flag the configured method has no key for is named as the flag, not as a --set.
        try Self.write("method: ect\ntraining: {steps: 3}\n", to: folder + "/ect.yaml")
        let flag = try CLI.run(["train", "--config", "ect.yaml", "--final-scale", "10", "--run-dir", "bad2"], in: folder)
        #expect(flag.status != 0 && flag.errorLines.count == 1 && flag.standardError.contains("--final-scale sets pairs.final_scale"),
                "\(flag.standardError)")
        let missing = try CLI.run(["train", "--config", "nope.yaml"], in: folder)
        #expect(missing.status != 0 && missing.errorLines.count == 1 && missing.standardError.contains("nope.yaml"))
    }

    @Test("sweep in 2 shards + merge gives exactly the serial sweep's merged table")
    func shardedSweepMergesToSerialTable() throws {
        let folder = try CLI.temporaryFolder("sweep")
        try Self.write("""
            name: tiny
            config: {method: ict, network: {width: 16, depth: 1}, training: {steps: 4, batch_size: 16, checkpoint_every: 4}}
            axes:
              seed: [0, 1]
              training.learning_rate: [0.001, 0.002]
            """, to: folder + "/sweep.yaml")
        let serial = try CLI.run(["sweep", "--config", "sweep.yaml", "--shard", "0/1", "--out", "serial"], in: folder)
        #expect(serial.status == 0, "\(serial.standardError)")
        for shard in ["0/2", "1/2"] {
            let part = try CLI.run(["sweep", "--config", "sweep.yaml", "--shard", shard, "--out", "sharded"], in: folder)
            #expect(part.status == 0, "\(part.standardError)")
            #expect(part.standardOutput.contains("runs 2 of them"), "\(part.standardOutput)")
        }
        for name in ["serial", "sharded"] {
            let merged = try CLI.run(["sweep", "--merge", "--config", "sweep.yaml", "--out", name], in: folder)
            #expect(merged.status == 0, "\(merged.standardError)")
            #expect(merged.standardError.isEmpty, "\(merged.standardError)")     // no missing runs
            for suffix in ["h5", "csv", "md"] { #expect(FileManager.default.fileExists(atPath: "\(folder)/\(name)/sweep.\(suffix)")) }
        }
        let serialCSV = try String(contentsOfFile: folder + "/serial/sweep.csv", encoding: .utf8)
        let shardedCSV = try String(contentsOfFile: folder + "/sharded/sweep.csv", encoding: .utf8)
        #expect(serialCSV == shardedCSV)
        #expect(serialCSV.split(separator: "\n").count == 5, "\(serialCSV)")
        #expect(serialCSV.contains("train/loss") && !serialCSV.contains("train/train"), "\(serialCSV)")
        let table = try SweepTable.collect(under: [folder + "/sharded"])
        #expect(table.rows.map { $0.index } == [0, 1, 2, 3])
        #expect(table.rows.allSatisfy { ($0.values["train/loss"] ?? .nan).isFinite && $0.values["steps"] == 4 })
        // A second pass over a finished shard trains nothing.
        let rerun = try CLI.run(["sweep", "--config", "sweep.yaml", "--shard", "1/2", "--out", "sharded"], in: folder)
        #expect(rerun.status == 0 && rerun.standardOutput.contains("finished earlier"), "\(rerun.standardOutput)")
    }

    /// A scheduler's time limit (SIGTERM) or Ctrl-C stops the current run cleanly; the sweep used to
    /// write that run's summary anyway (partial results, fewer steps), skip it as "finished earlier" on
    /// the next pass, merge it, and go on training the next run.
    @Test("SIGTERM during a sweep stops it: the interrupted run keeps its checkpoint but gets no summary, and the next run does not start")
    func interruptedSweepRunIsNotFinished() throws {
        let folder = try CLI.temporaryFolder("sweep-interrupted")
        try Self.write("""
            name: long
            config: {method: ict, network: {width: 16, depth: 1}, training: {steps: 10000000, batch_size: 16, checkpoint_every: 20}}
            axes:
              seed: [0, 1]
            """, to: folder + "/sweep.yaml")
        let child = try CLIChild(["sweep", "--config", "sweep.yaml", "--out", "out"], in: folder)
        defer { child.send(SIGKILL) }
        let firstCheckpoint: () -> Bool = {
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/out")) ?? []
            return runs.contains { run in
                let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: "\(folder)/out/\(run)/checkpoints")) ?? []
                return checkpoints.contains { $0.hasPrefix("step-") }
            }
        }
        try #require(child.waitUntil(timeout: 300, firstCheckpoint), "no checkpoint within 300 s: \(child.standardErrorSoFar())")
        child.send(SIGTERM)
        let result = try child.wait(timeout: 120)
        #expect(result.status == 0 && !result.endedBySignal, "\(result.standardError)")
        #expect(result.standardOutput.contains("(interrupted)"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("sweep stopped:") && result.standardOutput.contains("run the same command again"),
                "\(result.standardOutput)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: folder + "/out")
        #expect(runs.count == 1, "only the first run may have started: \(runs)")
        for run in runs {
            #expect(!FileManager.default.fileExists(atPath: "\(folder)/out/\(run)/\(RunSummary.fileName)"))
            #expect(FileManager.default.fileExists(atPath: "\(folder)/out/\(run)/checkpoints/latest"))
        }
        let merge = try CLI.run(["sweep", "--merge", "--out", "out"], in: folder)
        #expect(merge.status != 0 && merge.standardError.contains("no run summaries"), "\(merge.standardError)")
    }

    @Test("a sweep's table records the σ_d each run resolved: the network's (checkpoint) and a σ_d weighting's (config.yaml)")
    func sweepRecordsResolvedDataStandardDeviation() throws {
        let folder = try CLI.temporaryFolder("sweep-sigma")
        try Self.write("""
            name: sigma
            config: {method: ict, network: {width: 16, depth: 1}, training: {steps: 2, batch_size: 16, checkpoint_every: 2}}
            axes:
              training.data_standard_deviation: [0.25, null]
              consistency.weighting: [inverse-grid-step, edm]
            """, to: folder + "/sweep.yaml")
        let sweep = try CLI.run(["sweep", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(sweep.status == 0, "\(sweep.standardError)")
        let merged = try CLI.run(["sweep", "--merge", "--out", "out"], in: folder)
        #expect(merged.status == 0, "\(merged.standardError)")
        let table = try SweepTable.collect(under: [folder + "/out"])
        try #require(table.rows.count == 4)
        #expect(table.valueNames.contains("resolved/data_standard_deviation") && table.valueNames.contains("resolved/weighting_sigma_data"))
        for row in table.rows {
            // The measured σ_d as the configuration resolves it, on a path independent of the checkpoint's.
            let configuration = try ExperimentRunFolder(path: folder + "/out/" + row.run).configuration()
            let expected = try configuration.networkDataStandardDeviation()
            let network = try #require(row.values["resolved/data_standard_deviation"])
            #expect(network == expected, "\(row.run)")
            if row.parameters["training.data_standard_deviation"] == "0.25" {
                #expect(network == 0.25)
            } else {
                #expect(abs(network - 0.25) > 0.5, "the ring's measured σ_d is about 1.4, got \(network)")
            }
            if row.parameters["consistency.weighting"] == "edm" {
                #expect(row.values["resolved/weighting_sigma_data"] == network, "\(row.run): the weighting takes the network's σ_d")
            } else {
                #expect(row.values["resolved/weighting_sigma_data"] == nil, "\(row.run)")
            }
        }
        let csv = try String(contentsOfFile: folder + "/out/sweep.csv", encoding: .utf8)
        #expect(csv.contains("resolved/data_standard_deviation,resolved/weighting_sigma_data"), "\(csv)")
    }
}
