import CLIProcess
import Foundation
import H5pyInterop
import HDF5
import Replay
import Testing

/// `export-trajectories` end to end: the compact dataset read back with Replay's reader has the
/// promised shape, exact values and TD targets, the exact policy ends every episode on f*, `inspect`
/// summarises it, and the Minari layout is written where `--out` says (and loads with minari).
@Suite("consistency-td export-trajectories", .serialized)
struct CLIExportTrajectoriesTests {
    @Test("compact export: N × (K+1) × D, exact values and TD targets attached, exact policy ends on f*(x_{t_max}, t_max) to 1e-5")
    func compactExactPolicyEndsOnExactValue() throws {
        let folder = try CLI.temporaryFolder("export-compact")
        let result = try CLI.run(["export-trajectories", "--policy", "exact", "--episodes", "6", "--steps", "4", "--seed", "2",
                                  "--targets", "td0,nstep-2", "--out", "t.h5"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("t.h5"))
        let dataset = try TrajectoryDataset(path: folder + "/t.h5")
        defer { try? dataset.close() }
        #expect(dataset.episodeCount == 6 && dataset.dimension == 2 && dataset.times.count == 5)
        #expect(dataset.valueNames == ["exact"])
        #expect(Set(dataset.targetNames) == ["td0", "nstep-2"])
        #expect(dataset.metadata.seed == 2 && dataset.metadata.estimator == "exact")
        #expect(dataset.metadata.environment.contains("\"ring\""))
        for episode in try dataset.allEpisodes() {
            #expect(episode.observations.count == 5 * 2)
            let exact = try #require(episode.values["exact"])
            for d in 0..<2 {
                // f*(x_{t_max}, t_max) is values/exact at step 0; the exact policy's last state is the PF-ODE solution.
                #expect(abs(episode.observations[4 * 2 + d] - exact[d]) <= 1e-5, "\(episode.observations) vs \(exact)")
                // exact transitions with an f* bootstrap reproduce f*(x_{τ_k}, τ_k) at every step.
                for k in 0..<4 {
                    for name in ["td0", "nstep-2"] {
                        let target = try #require(episode.targets[name])
                        #expect(abs(target[k * 2 + d] - exact[k * 2 + d]) <= 1e-4, "\(name) step \(k)")
                    }
                }
            }
        }

        let inspect = try CLI.run(["inspect", "t.h5"], in: folder)
        #expect(inspect.status == 0, "\(inspect.standardError)")
        #expect(inspect.standardOutput.contains("trajectory dataset: 6 episodes × K = 4 steps, D = 2"), "\(inspect.standardOutput)")
        #expect(inspect.standardOutput.contains("policy exact"))
        #expect(inspect.standardOutput.contains("values: exact; targets: nstep-2, td0"), "\(inspect.standardOutput)")
    }

    @Test("the Euler policy's episodes are not the exact ones (its final state misses f* by the solver's error)")
    func eulerPolicyDiffersFromExact() throws {
        let folder = try CLI.temporaryFolder("export-euler")
        let result = try CLI.run(["export-trajectories", "--policy", "euler", "--episodes", "4", "--steps", "3", "--seed", "2",
                                  "--out", "e.h5"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        let dataset = try TrajectoryDataset(path: folder + "/e.h5")
        defer { try? dataset.close() }
        let gaps = try dataset.allEpisodes().map { episode -> Float in
            let exact = episode.values["exact"] ?? []
            return (0..<2).map { abs(episode.observations[3 * 2 + $0] - exact[$0]) }.max() ?? 0
        }
        #expect(gaps.max() ?? 0 > 1e-3, "\(gaps)")
        #expect(dataset.metadata.solver == "euler")
    }

    @Test("--policy checkpoint rolls out a trained consistency model with its network as TD bootstrap")
    func checkpointPolicyExport() throws {
        let folder = try CLI.temporaryFolder("export-checkpoint")
        let train = try CLI.run(["train", "--preset", "ict", "--steps", "4", "--run-dir", "ict", "--checkpoint-every", "4"] + CLI.tiny,
                                in: folder)
        #expect(train.status == 0, "\(train.standardError)")
        let result = try CLI.run(["export-trajectories", "--policy", "checkpoint", "--checkpoint", "ict", "--episodes", "5", "--steps", "2",
                                  "--seed", "1", "--targets", "td0", "--out", "c.h5"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        let dataset = try TrajectoryDataset(path: folder + "/c.h5")
        defer { try? dataset.close() }
        #expect(dataset.episodeCount == 5 && dataset.times.count == 3)
        #expect(dataset.metadata.estimator.hasPrefix("consistency-multistep(ict step 4"))
        for episode in try dataset.allEpisodes() {
            #expect(episode.observations.allSatisfy { $0.isFinite })
            #expect((episode.targets["td0"] ?? []).count == 2 * 2)
        }
        let wrong = try CLI.run(["export-trajectories", "--policy", "heun", "--checkpoint", "ict", "--out", "w.h5"], in: folder)
        #expect(wrong.status != 0 && wrong.errorLines.count == 1 && wrong.standardError.contains("diffusion checkpoint"), "\(wrong.standardError)")
    }

    @Test("minari export: <root>/<namespace>/<name>-v0/data/{main_data.hdf5, metadata.json}, one group per episode")
    func minariLayout() throws {
        let folder = try CLI.temporaryFolder("export-minari")
        let result = try CLI.run(["export-trajectories", "--format", "minari", "--policy", "heun", "--episodes", "3", "--steps", "4",
                                  "--seed", "5", "--out", "datasets/consistency-td/ring8-v0"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        let directory = folder + "/datasets/consistency-td/ring8-v0"
        #expect(FileManager.default.fileExists(atPath: directory + "/data/metadata.json"))
        let file = try HDF5File(directory + "/data/main_data.hdf5", mode: .readOnly)
        #expect(try file.members().map { $0.name }.sorted() == ["episode_0", "episode_1", "episode_2"])
        try file.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/datasets").sorted() == ["consistency-td"])
        let again = try CLI.run(["export-trajectories", "--format", "minari", "--episodes", "2", "--steps", "2",
                                 "--out", "datasets/consistency-td/ring8-v0"], in: folder)
        #expect(again.status != 0 && again.errorLines.count == 1 && again.standardError.contains("exists already"), "\(again.standardError)")

        guard let python = H5pyPython.candidates.first(where: { (try? H5pyPython.run($0, ["-c", "import minari"]).status) == 0 }) else {
            return      // minari's own loader is checked in ReplayTests' interop suite when it is installed
        }
        let script = """
            import os, sys
            os.environ["MINARI_DATASETS_PATH"] = sys.argv[1]
            import minari
            d = minari.load_dataset("consistency-td/ring8-v0")
            assert d.total_episodes == 3 and d.total_steps == 12, (d.total_episodes, d.total_steps)
            assert [len(e) for e in d.iterate_episodes()] == [4, 4, 4]
            print("ok")
            """
        let loaded = try H5pyPython.run(python, ["-c", script, folder + "/datasets"])
        #expect(loaded.status == 0, "minari could not load the export:\n\(loaded.output)")
    }
}
