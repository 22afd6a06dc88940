import CHDF5
import Foundation
import HDF5
import Testing

@Suite("HDF5Inspector.describe")
struct InspectorTests {
    /// A small checkpoint-like file exercising every kind of line.
    static func writeSample(to path: String) throws {
        let file = try HDF5File(path, mode: .truncate)
        try file.setAttribute("format", "consistency-td.checkpoint")
        try file.setAttribute("format_version", Int64(1))
        try file.setAttribute("sigma", "σ_d = ½")
        try file.setAttribute("resumable", true)
        try file.setAttribute("time_grid", (0..<20).map(Double.init))
        try file.setAttribute("small", [UInt8(1), 2, 3])
        try file.setAttribute("config", String(repeating: "x", count: 200))
        try file.createDataset("parameters/w", values: [Float](repeating: 0.5, count: 12), shape: [3, 4],
                               createIntermediateGroups: true)
        let series = try file.createDataset("series", of: Float.self, shape: [0, 3],
                                            options: HDF5DatasetOptions(chunkShape: [4, 3], gzipLevel: 4, shuffle: true,
                                                                        fletcher32: true, maxShape: .unlimitedFirstAxis))
        try series.append([Float](repeating: 1, count: 6))
        try series.setAttribute("units", "nats")
        try file.createDataset("terminations", values: [true, false, false, true], shape: [2, 2])
        try file.createDataset("seeds", values: [UInt64(7), 8])
        try file.createDataset("labels", values: [Int32(1)], shape: [])
        try file.createStringDataset("estimators", strings: ["td0", "nstep-4"])
        _ = try file.createGroup("curriculum")
        try file.close()
    }

    @Test("lists every group, dataset and attribute with types, shapes, layout, filters and values")
    func describesEverything() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("sample.h5").path
            try Self.writeSample(to: path)
            let text = try HDF5Inspector.describe(path: path)
            let lines = text.split(separator: "\n").map(String.init)
            let expectedLines = [
                "HDF5 file \(path)",
                "/  group, 7 members",
                #"    @config: string = "\#(String(repeating: "x", count: 79))"… (200 characters)"#,
                #"    @format: string = "consistency-td.checkpoint""#,
                "    @format_version: int64 = 1",
                "    @resumable: bool = true",
                #"    @sigma: string = "σ_d = ½""#,
                "    @small: uint8 [3] = [1, 2, 3]",
                "    @time_grid: float64 [20] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, …] (20 values)",
                "  /curriculum  group, 0 members",
                "  /estimators  dataset string [2]  contiguous",
                "  /labels  dataset int32 scalar  contiguous",
                "  /parameters  group, 1 member",
                "    /parameters/w  dataset float32 [3, 4]  contiguous",
                "  /seeds  dataset uint64 [2]  contiguous",
                "  /series  dataset float32 [2, 3]  maxshape [unlimited, 3]  chunks [4, 3]  filters shuffle → gzip(level 4) → fletcher32",
                #"      @units: string = "nats""#,
                "  /terminations  dataset bool [2, 2]  contiguous",
            ]
            #expect(lines == expectedLines, "\n\(text)")
        }
    }

    @Test("a group reached again through hard links (two links from the root back to /, a group linking itself) is listed once; the repeats name the first path")
    func hardLinkCyclesEndAndNameTheRepeat() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("cycles.h5").path
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("g/x", values: [1.0, 2.0], createIntermediateGroups: true)
            try file.close()
            try ForeignFileTests.withCFile(path, create: false) { file in
                for (target, link) in [("/", "loop-a"), ("/", "loop-b"), ("/g", "/g/self")] {
                    _ = try ForeignFileTests.ok(H5Lcreate_hard(file, target, file, link, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
                                                "H5Lcreate_hard")
                }
            }
            // Before, each link back to / was entered again, down to 64 levels: 2⁶⁴ groups.
            let text = try HDF5Inspector.describe(path: path)
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines == [
                "HDF5 file \(path)",
                "/  group, 3 members",
                "  /g  group, 2 members",
                "    /g/self  group, hard link to /g (listed there)",
                "    /g/x  dataset float64 [2]  contiguous",
                "  /loop-a  group, hard link to / (listed there)",
                "  /loop-b  group, hard link to / (listed there)",
            ], "\n\(text)")
        }
    }

    @Test("describing a missing or foreign file throws an error naming the path")
    func describeErrors() throws {
        try withTemporaryDirectory { directory throws in
            let missing = directory.appendingPathComponent("missing.h5").path
            let error = expectHDF5Error { _ = try HDF5Inspector.describe(path: missing) }
            #expect(error?.description.contains(missing) == true)
        }
    }
}
