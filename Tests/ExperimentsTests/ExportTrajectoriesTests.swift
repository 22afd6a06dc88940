@testable import ExportTrajectories
import Foundation
import H5pyInterop
import HDF5
import Replay
import Testing

@Suite("ExportTrajectories experiment", .serialized)
struct ExportTrajectoriesTests {
    static let policies = ["exact", "euler-8", "heun-8", "consistency-1", "consistency-2"]

    /// One tiny run shared by the tests of this suite.
    static let run: Result<String, any Error> = Result {
        let folder = try ExperimentBinary.temporaryFolder("export-trajectories")
        let arguments = ["--episodes", "24", "--teacher-steps", "8", "--sampler-steps", "1,2", "--exact-steps", "6",
                         "--train-steps", "30", "--seed", "5", "--output", folder + "/export-trajectories"]
        let result = try ExperimentBinary.run("ExportTrajectories", arguments, in: folder)
        guard result.status == 0, !result.timedOut else {
            throw ExperimentTestError("ExportTrajectories failed (\(result.status)): \(result.standardOutput)\(result.standardError)")
        }
        return folder
    }

    static func column(_ file: HDF5File, _ name: String) throws -> [Double] { try file.openDataset(name).read(as: Double.self) }

    @Test("every policy has a compact file with f* values and TD(0) targets, and the summary lists it")
    func outputsLayout() throws {
        let folder = try Self.run.get() + "/export-trajectories"
        let summary = try HDF5File(folder + "/summary.h5")
        #expect(try summary.stringAttribute("format") == SummaryFile.format)
        #expect(try summary.attribute("seed", as: UInt64.self) == 5)
        #expect(try summary.openDataset("episodes").read(as: Int64.self) == [24, 24, 24, 24, 24])
        #expect(try summary.openDataset("steps").read(as: Int64.self) == [6, 8, 8, 1, 2])
        for (i, policy) in Self.policies.enumerated() {
            let dataset = try TrajectoryDataset(path: folder + "/compact/\(policy).h5")
            defer { try? dataset.close() }
            #expect(dataset.episodeCount == 24)
            #expect(dataset.valueNames == ["exact"] && dataset.targetNames == ["td0"])
            // The summary's endpoint error is the mean ‖x_{τ_K} − f*(x_{τ_0}, τ_0)‖ of the file's episodes.
            let recomputed = try PolicySummary(name: policy, episodes: try dataset.allEpisodes())
            #expect(abs(recomputed.endpointError - (try Self.column(summary, "endpoint_error"))[i]) < 1e-12)
            #expect(FileManager.default.fileExists(atPath: folder + "/minari/consistency-td/ring8-\(policy)-v0/data/main_data.hdf5"))
        }
        let table = try String(contentsOfFile: folder + "/table.md", encoding: .utf8)
        let errors = try Self.column(summary, "endpoint_error"), standardErrors = try Self.column(summary, "endpoint_error_stderr")
        #expect(table.contains("| heun-8 | 24 | 8 | \(String(format: "%.3e ± %.1e", errors[2], standardErrors[2])) |"))
    }

    @Test("the exact policy ends on f*(x_T, T) and has TD error ≈ 0; Heun ends closer than Euler at 8 steps")
    func endpointLaws() throws {
        let summary = try HDF5File(try Self.run.get() + "/export-trajectories/summary.h5")
        let endpoint = try Self.column(summary, "endpoint_error"), td = try Self.column(summary, "td_error")
        #expect(endpoint[0] < 1e-4)
        #expect(td[0] < 1e-4)
        #expect(endpoint[2] < endpoint[1])
        #expect(td[1] > td[0] && td[2] > td[0])
        let standardErrors = try Self.column(summary, "endpoint_error_stderr")
        for k in endpoint.indices { #expect(endpoint[k].isFinite && standardErrors[k] >= 0) }
    }

    @Test("the summary of hand-built episodes: endpoint, TD and target errors")
    func summaryOfHandBuiltEpisodes() throws {
        // D = 1, K = 2: observations x = (3, 2, 1.5); f* values (1, 1.5, 1.5): endpoint |1.5 − 1| = 0.5,
        // TD error (|1.5 − 1| + |1.5 − 1.5|)/2 = 0.25; targets (1.25, 1.5): target error (0.25 + 0)/2 = 0.125.
        func episode(_ shift: Float) throws -> Episode {
            try Episode(dimension: 1, times: [2, 1, 0.002], observations: [3, 2, 1.5 + shift], actions: [2, 1.5 + shift],
                        rewards: [-1, -0.5 + shift], terminations: [false, true], truncations: [false, false], seed: 0,
                        values: ["exact": [1, 1.5, 1.5]], targets: ["td0": [1.25, 1.5]])
        }
        let summary = try PolicySummary(name: "hand", episodes: [try episode(0), try episode(1)])
        #expect(summary.episodes == 2 && summary.steps == 2)
        #expect(abs(summary.endpointError - 1) < 1e-12)
        #expect(abs(summary.endpointErrorStandardError - 0.5) < 1e-12)
        #expect(abs(summary.tdError - 0.25) < 1e-12)
        #expect(abs(summary.targetError - 0.125) < 1e-12)
        #expect(summary.tdErrorStandardError == 0)
    }

    @Test("the Minari datasets load with minari.load_dataset and match the compact files", .enabled(if: NotebookRunner.shouldRun))
    func minariLoads() throws {
        guard let python = NotebookRunner.python else { throw ExperimentTestError(NotebookRunner.missingMessage) }
        let folder = try Self.run.get() + "/export-trajectories"
        let script = """
            import os, sys, numpy as np, h5py
            os.environ["MINARI_DATASETS_PATH"] = sys.argv[1] + "/minari"
            import minari
            for name in sys.argv[2].split(","):
                dataset = minari.load_dataset(f"consistency-td/ring8-{name}-v0")
                assert dataset.total_episodes == 24, dataset.total_episodes
                episode = next(iter(dataset.iterate_episodes()))
                with h5py.File(f"{sys.argv[1]}/compact/{name}.h5", "r") as f:
                    assert np.allclose(episode.observations[:, :2], f["observations"][0], atol=1e-6)
            print("minari ok")
            """
        let result = try H5pyPython.run(python, ["-c", script, folder, Self.policies.joined(separator: ",")])
        #expect(result.status == 0, Comment(rawValue: result.output))
        #expect(result.output.contains("minari ok"))
    }

    @Test("bad step lists fail with a one-line message and a non-zero exit")
    func badStepsFail() throws {
        let folder = try ExperimentBinary.temporaryFolder("export-trajectories-bad")
        let result = try ExperimentBinary.run("ExportTrajectories", ["--teacher-steps", "8,0", "--output", folder + "/out"], in: folder)
        #expect(result.status != 0)
        #expect(result.standardError.contains("--teacher-steps: '0' is not valid; expected integers ≥ 1"))
    }

    @Test("the notebook executes against the fresh outputs", .enabled(if: NotebookRunner.shouldRun))
    func notebookExecutes() throws {
        try NotebookRunner.execute("trajectories.ipynb", results: try Self.run.get())
    }
}
