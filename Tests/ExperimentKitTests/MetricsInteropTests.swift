import ExperimentKit
import Foundation
import H5pyInterop
import Testing

@Suite("Metrics store: h5py reads metrics.h5", .enabled(if: H5pyPython.shouldRun, Comment(rawValue: H5pyPython.missingMessage)))
struct MetricsInteropTests {
    @Test("h5py sees /scalars/<group>/<name> as float64, /scalars/step as int64, the values, NaN back-fill and attributes")
    func h5pyReadsMetrics() throws {
        let python = try H5pyPython.required()
        try withTemporaryDirectory { run in
            let store = try MetricsStore(runFolder: run)
            try store.record(step: 0, ["train/loss": 0.5, "lr": 1e-3])
            try store.record(step: 100, ["train/loss": 0.25, "lr": 1e-3])
            try store.flush()
            try store.record(step: 200, ["train/loss": 1.0 / 3.0, "eval/fid": 12.5])
            try store.close()

            let result = try H5pyPython.run(python, ["-c", #"""
            import sys, h5py, numpy as np
            f = h5py.File(sys.argv[1], "r")
            assert f.attrs["format"] == "consistency-td.metrics", f.attrs["format"]
            assert f.attrs["format_version"] == 1
            assert isinstance(f.attrs["created_utc"], str)
            assert [str(s) for s in f.attrs["series_names"]] == ["lr", "train/loss", "eval/fid"], f.attrs["series_names"]
            names = []
            f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
            assert sorted(names) == ["scalars/eval/fid", "scalars/lr", "scalars/step", "scalars/train/loss"], names
            step = f["scalars/step"]
            assert step.dtype == np.int64 and step.maxshape == (None,), (step.dtype, step.maxshape)
            assert step[()].tolist() == [0, 100, 200]
            for name in ["scalars/train/loss", "scalars/lr", "scalars/eval/fid"]:
                d = f[name]
                assert d.dtype == np.float64, (name, d.dtype)
                assert d.shape == (3,) and d.maxshape == (None,) and d.compression == "gzip", (name, d.shape, d.maxshape, d.compression)
            assert f["scalars/train/loss"][()].tolist() == [0.5, 0.25, 1.0 / 3.0]
            lr = f["scalars/lr"][()]
            assert lr[:2].tolist() == [1e-3, 1e-3] and np.isnan(lr[2]), lr
            fid = f["scalars/eval/fid"][()]
            assert np.isnan(fid[:2]).all() and fid[2] == 12.5, fid
            """#, run + "/metrics.h5"])
            #expect(result.status == 0, "h5py check failed (\(python)):\n\(result.output)")
        }
    }
}
