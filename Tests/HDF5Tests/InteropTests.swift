import Foundation
import HDF5
import H5pyInterop
import Testing

extension H5pyPython {
    /// Runs `script` with `path` as `sys.argv[1]` and expects it to exit 0, showing its output if not.
    static func expectScriptPasses(_ script: String, path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let python = try required()
        let result = try run(python, ["-c", script, path])
        #expect(result.status == 0, "h5py check failed (\(python)):\n\(result.output)", sourceLocation: sourceLocation)
    }
}

@Suite("Interoperability with h5py", .enabled(if: H5pyPython.shouldRun, Comment(rawValue: H5pyPython.missingMessage)))
struct InteropTests {
    @Test("h5py reads names, shapes, dtypes (bool as bool, strings as str) and values written from Swift")
    func h5pyReadsSwiftFiles() throws {
        _ = try H5pyPython.required()
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("from-swift.h5").path
            let file = try HDF5File(path, mode: .truncate)
            try file.setAttribute("format", "consistency-td.trajectories")
            try file.setAttribute("sigma", "σ_d = ½")
            try file.setAttribute("format_version", Int64(1))
            try file.setAttribute("seed", UInt64.max)
            try file.setAttribute("lr", 0.001)
            try file.setAttribute("scale", Float(0.5))
            try file.setAttribute("resumable", true)
            try file.setAttribute("flags", [true, false, true])
            try file.setAttribute("grid", [1.0, 0.5, 0.25])
            try file.setAttribute("estimators", ["td0", "nstep-4"])
            try file.createDataset("float32", values: [Float(1.5), -2, 3.25, 0, .infinity, -0.0], shape: [2, 3])
            try file.createDataset("float64", values: [1.0 / 3.0, -1e300, Double.leastNonzeroMagnitude, 2])
            try file.createDataset("int32", values: [Int32.min], shape: [])
            try file.createDataset("int64", values: (0..<8).map { Int64($0) - 4 }, shape: [2, 2, 2])
            try file.createDataset("uint8", values: [UInt8(0), 1, 127, 128, 255])
            try file.createDataset("uint64", values: [UInt64.max, 0, 1 << 63])
            try file.createDataset("bool", values: [true, false, false, true, true, false], shape: [2, 3])
            try file.createDataset("rank4", values: (0..<24).map(Float.init), shape: [1, 2, 3, 4])
            try file.createStringDataset("names", strings: ["td0", "σ_d = ½", ""])
            let series = try file.createDataset(
                "observations", of: Float.self, shape: [0, 3],
                options: HDF5DatasetOptions(chunkShape: [4, 3], gzipLevel: 4, shuffle: true, fletcher32: true,
                                            maxShape: .unlimitedFirstAxis),
                createIntermediateGroups: false)
            try series.append((0..<6).map(Float.init))
            try series.append((6..<15).map(Float.init))
            try file.createDataset("parameters/blocks.0.weight", values: [Float](repeating: 0.25, count: 4),
                                   shape: [2, 2], createIntermediateGroups: true)
            try file.close()

            try H5pyPython.expectScriptPasses(#"""
            import sys, h5py, numpy as np
            f = h5py.File(sys.argv[1], "r")
            def check(name, dtype, shape, values):
                d = f[name]
                assert d.dtype == np.dtype(dtype), (name, d.dtype, dtype)
                assert d.shape == shape, (name, d.shape, shape)
                got = d[()]
                assert np.array_equal(np.asarray(got), np.asarray(values, dtype=dtype).reshape(shape)), (name, got)
            check("float32", "float32", (2, 3), [1.5, -2, 3.25, 0, np.inf, -0.0])
            assert np.signbit(f["float32"][1, 2])
            check("float64", "float64", (4,), [1.0 / 3.0, -1e300, 5e-324, 2])
            check("int32", "int32", (), -2**31)
            check("int64", "int64", (2, 2, 2), list(range(-4, 4)))
            check("uint8", "uint8", (5,), [0, 1, 127, 128, 255])
            check("uint64", "uint64", (3,), [2**64 - 1, 0, 2**63])
            check("bool", "bool", (2, 3), [True, False, False, True, True, False])
            check("rank4", "float32", (1, 2, 3, 4), list(range(24)))
            names = f["names"]
            assert h5py.check_string_dtype(names.dtype).encoding == "utf-8", names.dtype
            assert names.asstr()[()].tolist() == ["td0", "σ_d = ½", ""], names.asstr()[()]
            obs = f["observations"]
            assert obs.shape == (5, 3) and obs.maxshape == (None, 3) and obs.chunks == (4, 3), (obs.shape, obs.maxshape, obs.chunks)
            assert obs.compression == "gzip" and obs.compression_opts == 4 and obs.shuffle and obs.fletcher32
            assert np.array_equal(obs[()], np.arange(15, dtype="float32").reshape(5, 3))
            assert f["parameters/blocks.0.weight"].shape == (2, 2)
            assert isinstance(f["parameters"], h5py.Group) and isinstance(f["parameters/blocks.0.weight"], h5py.Dataset)
            a = f.attrs
            assert isinstance(a["format"], str) and a["format"] == "consistency-td.trajectories", repr(a["format"])
            assert a["sigma"] == "σ_d = ½", repr(a["sigma"])
            assert a["format_version"] == 1 and a["format_version"].dtype == np.int64
            assert a["seed"] == 2**64 - 1 and a["seed"].dtype == np.uint64
            assert a["lr"] == 0.001 and a["lr"].dtype == np.float64
            assert a["scale"] == 0.5 and a["scale"].dtype == np.float32
            assert a["resumable"].dtype == np.bool_ and bool(a["resumable"]) is True, repr(a["resumable"])
            assert a["flags"].dtype == np.bool_ and a["flags"].tolist() == [True, False, True]
            assert a["grid"].tolist() == [1.0, 0.5, 0.25]
            assert [str(s) for s in a["estimators"]] == ["td0", "nstep-4"], a["estimators"]
            assert sorted(f.keys()) == sorted(["float32", "float64", "int32", "int64", "uint8", "uint64", "bool", "rank4", "names", "observations", "parameters"])
            """#, path: path)
        }
    }

    @Test("Swift reads a file written by h5py: dtypes, shapes, values, attributes, links")
    func swiftReadsH5pyFiles() throws {
        let python = try H5pyPython.required()
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("from-h5py.h5").path
            let result = try H5pyPython.run(python, ["-c", #"""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f["f32"] = np.array([[1.5, -2.0], [0.0, 3.25]], dtype="float32")
                f["f64"] = np.array([1.0 / 3.0, -0.0], dtype="float64")
                f["i32"] = np.int32(-7)
                f["i64"] = np.arange(-3, 3, dtype="int64").reshape(2, 3)
                f["u8"] = np.array([0, 255], dtype="uint8")
                f["u64"] = np.array([2**64 - 1], dtype="uint64")
                f["i16"] = np.array([-300], dtype="int16")
                f["flags"] = np.array([True, False, True])
                f.create_dataset("text", data=["a", "σ_d = ½"], dtype=h5py.string_dtype())
                f.create_dataset("fixed", data=np.array([b"ab", b"xyz"], dtype="S3"))
                d = f.create_dataset("z", data=np.arange(100, dtype="float64"), chunks=(10,), compression="gzip",
                                     compression_opts=6, shuffle=True, fletcher32=True, maxshape=(None,))
                d.attrs["units"] = "seconds"
                g = f.create_group("optimizer/adam")
                g.attrs["step"] = np.int64(42)
                g.attrs["lr"] = 0.001
                g.attrs["betas"] = np.array([0.9, 0.999])
                g.attrs["amsgrad"] = False
                f.attrs["config"] = '{"σ": 0.5}'
                f.attrs["raw"] = np.bytes_(b"fixed-bytes")
                f["link"] = h5py.SoftLink("/f32")
                f["dangling"] = h5py.SoftLink("/nowhere")
            """#, path])
            #expect(result.status == 0, "h5py failed to write:\n\(result.output)")

            let file = try HDF5File(path)
            #expect(try file.openDataset("f32").elementType() == .float32)
            #expect(try file.openDataset("f32").shape() == [2, 2])
            #expect(try file.openDataset("f32").read(as: Float.self) == [1.5, -2, 0, 3.25])
            #expect(bytes(try file.openDataset("f64").read(as: Double.self)) == bytes([1.0 / 3.0, -0.0]))
            #expect(try file.openDataset("i32").shape() == [])
            #expect(try file.openDataset("i32").read(as: Int32.self) == [-7])
            #expect(try file.openDataset("i64").read(as: Int64.self) == [-3, -2, -1, 0, 1, 2])
            #expect(try file.openDataset("u8").read(as: UInt8.self) == [0, 255])
            #expect(try file.openDataset("u64").read(as: UInt64.self) == [.max])
            #expect(try file.openDataset("i16").read(as: Int16.self) == [-300])
            #expect(try file.openDataset("flags").elementType() == .bool)
            #expect(try file.openDataset("flags").read(as: Bool.self) == [true, false, true])
            #expect(try file.openDataset("text").readStrings() == ["a", "σ_d = ½"])
            #expect(try file.openDataset("fixed").elementType() == .string(length: 3, isUTF8: false))
            #expect(try file.openDataset("fixed").readStrings() == ["ab", "xyz"])
            let z = try file.openDataset("z")
            #expect(try z.read(as: Double.self) == (0..<100).map(Double.init))
            #expect(try z.read(as: Double.self, start: [95], count: [5]) == [95, 96, 97, 98, 99])
            #expect(try z.filters() == [.shuffle, .gzip(level: 6), .fletcher32])
            #expect(try z.maxShape() == [nil])
            #expect(try z.stringAttribute("units") == "seconds")
            let adam = try file.openGroup("optimizer/adam")
            #expect(try adam.attribute("step", as: Int64.self) == 42)
            #expect(try adam.attribute("lr", as: Double.self) == 0.001)
            #expect(try adam.attributeArray("betas", as: Double.self) == [0.9, 0.999])
            #expect(try adam.attribute("amsgrad", as: Bool.self) == false)
            #expect(try file.stringAttribute("config") == #"{"σ": 0.5}"#)
            #expect(try file.stringAttribute("raw") == "fixed-bytes")
            let members = try file.members()
            #expect(members.contains(HDF5Member(name: "link", kind: .dataset, link: .soft)))
            #expect(members.contains(HDF5Member(name: "dangling", kind: .unresolved, link: .soft)))
            #expect(members.contains(HDF5Member(name: "optimizer", kind: .group, link: .hard)))
            #expect(try file.openDataset("link").read(as: Float.self) == [1.5, -2, 0, 3.25])
            let description = try HDF5Inspector.describe(file)
            #expect(description.contains("/link  dataset float32 [2, 2]  contiguous  (soft link)"), "\(description)")
            #expect(description.contains("/dangling  soft link"), "\(description)")
            #expect(description.contains("@step: int64 = 42"), "\(description)")
            #expect(description.contains("@raw: string[11 bytes] (ASCII) = \"fixed-bytes\""), "\(description)")
            try file.close()
        }
    }
}
