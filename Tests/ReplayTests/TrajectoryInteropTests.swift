import Foundation
import H5pyInterop
import Replay
import Testing

/// A Python with Minari (`pip install "minari[hdf5]" pillow`), chosen among the h5py candidates.
enum MinariPython {
    static let command: String? = H5pyPython.candidates.first { candidate in
        (try? H5pyPython.run(candidate, ["-c", "import minari, h5py, numpy"]).status) == 0
    }
    static var shouldRun: Bool { command != nil || H5pyPython.isCI }
    static let missingMessage = "minari is missing: none of \(H5pyPython.candidates) can `import minari, h5py, numpy`. "
        + "Install it with `python3 -m pip install \"minari[hdf5]\" pillow` (CI: .ci/install-dependencies does) "
        + "or set CONSISTENCY_TD_PYTHON to a Python that has it."
    struct Missing: Error, CustomStringConvertible { var description: String { MinariPython.missingMessage } }
    static func required() throws -> String {
        guard let command else { throw Missing() }
        return command
    }
}

@Suite("Compact trajectory datasets read from h5py", .enabled(if: H5pyPython.shouldRun, Comment(rawValue: H5pyPython.missingMessage)))
struct TrajectoryH5pyInteropTests {
    @Test("h5py reads the compact layout: shapes, dtypes, bools as bool, attributes as str, values equal")
    func h5pyReadsCompactLayout() throws {
        let python = try H5pyPython.required()
        let episodes = try syntheticEpisodes(count: 7, truncated: [2])
        let path = try temporaryFolder("h5py") + "/t.h5"
        try writeDataset(episodes, to: path, chunk: 3)
        let script = """
            import sys, h5py, numpy as np
            f = h5py.File(sys.argv[1], "r")
            a = f.attrs
            assert a["format"] == "consistency-td.trajectories", a["format"]
            for name in ["format", "environment", "solver", "estimator", "time_grid", "toolkit_version", "created_utc"]:
                assert isinstance(a[name], str), (name, type(a[name]))
            assert a["format_version"] == 1 and a["seed"] == 1
            N, K, D = 7, 6, 2
            expect = {"times": ((K + 1,), np.float64), "observations": ((N, K + 1, D), np.float32),
                      "actions": ((N, K, D), np.float32), "rewards": ((N, K, D), np.float32),
                      "terminations": ((N, K), np.bool_), "truncations": ((N, K), np.bool_),
                      "values/exact": ((N, K + 1, D), np.float32), "values/net": ((N, K + 1, D), np.float32),
                      "targets/td0": ((N, K, D), np.float32), "labels": ((N,), np.int32), "seeds": ((N,), np.uint64)}
            for name, (shape, dtype) in expect.items():
                assert f[name].shape == shape and f[name].dtype == dtype, (name, f[name].shape, f[name].dtype)
            assert sorted(f.keys()) == sorted(["times", "observations", "actions", "rewards", "terminations", "truncations",
                                               "values", "targets", "labels", "seeds"]), list(f.keys())
            obs = f["observations"][...]
            assert np.array_equal(f["actions"][...], obs[:, 1:, :])
            assert f["truncations"][2].tolist() == [False, False, False, False, True, False]
            assert f["terminations"][0].tolist() == [False] * 5 + [True]
            assert f["observations"].compression == "gzip" and f["observations"].fletcher32 and f["observations"].chunks[0] == 3
            assert obs[4, 3, 1] == np.float32(sys.argv[2]), (obs[4, 3, 1], sys.argv[2])
            print("ok")
            """
        let result = try H5pyPython.run(python, ["-c", script, path, "\(episodes[4].observations[3 * 2 + 1])"])
        #expect(result.status == 0, "h5py check failed (\(python)):\n\(result.output)")
    }
}

@Suite("Minari exports load with minari.load_dataset", .enabled(if: MinariPython.shouldRun, Comment(rawValue: MinariPython.missingMessage)))
struct MinariInteropTests {
    @Test("minari.load_dataset opens the export and iterates its episodes with the exported arrays")
    func minariLoadsExport() throws {
        let python = try MinariPython.required()
        let episodes = try syntheticEpisodes(count: 6, truncated: [1])
        let folder = try temporaryFolder("minari")
        let compact = folder + "/t.h5"
        try writeDataset(episodes, to: compact)
        let directory = try MinariExport.write(TrajectoryDataset(path: compact), datasetID: "consistency-td/synthetic-v0",
                                               root: folder + "/datasets", blockSize: 4)
        #expect(directory == folder + "/datasets/consistency-td/synthetic-v0")
        #expect(!FileManager.default.fileExists(atPath: directory + ".tmp"))
        let script = """
            import os, sys, json, h5py, numpy as np
            os.environ["MINARI_DATASETS_PATH"] = sys.argv[1]
            import minari
            with h5py.File(os.path.join(sys.argv[1], "consistency-td/synthetic-v0/data/main_data.hdf5"), "r") as f:
                assert sorted(f.keys()) == [f"episode_{i}" for i in range(6)], list(f.keys())
            d = minari.load_dataset("consistency-td/synthetic-v0")
            assert d.total_episodes == 6 and d.total_steps == 5 * 6 + 5, (d.total_episodes, d.total_steps)
            assert d.observation_space.shape == (3,) and d.action_space.shape == (2,)
            lengths = []
            for e in d.iterate_episodes():
                L = len(e)
                lengths.append(L)
                assert e.observations.shape == (L + 1, 3) and e.observations.dtype == np.float32
                assert e.actions.shape == (L, 2) and e.rewards.shape == (L, 2)
                assert e.terminations.dtype == np.bool_ and e.truncations.dtype == np.bool_
                assert np.array_equal(e.actions, e.observations[1:, :2])
                assert np.allclose(e.rewards, e.observations[1:, :2] - e.observations[:-1, :2], atol=1e-6)
                assert bool(e.terminations[-1] or e.truncations[-1])
                assert d.observation_space.contains(e.observations[0]), e.observations[0]
            assert lengths == [6, 5, 6, 6, 6, 6], lengths
            first = next(d.iterate_episodes([3]))
            assert first.observations[2, 1] == np.float32(sys.argv[2]) and abs(float(first.observations[2, 2]) - float(sys.argv[3])) < 1e-4
            print("ok")
            """
        let result = try H5pyPython.run(python, ["-c", script, folder + "/datasets", "\(episodes[3].observations[2 * 2 + 1])",
                                                 "\(Float(episodes[3].times[2]))"])
        #expect(result.status == 0, "minari check failed (\(python)):\n\(result.output)")
    }
}
