import Foundation
import HDF5
import Testing

/// ``HDF5ReadLimit``: a read sized from a file's declared extent refuses, before allocating, an
/// extent larger than the machine's memory — the sparse chunked datasets here take a few hundred
/// bytes on disk but declare terabytes.
@Suite("Reads refuse extents larger than the machine's memory")
struct ReadLimitTests {
    static let sparse = HDF5DatasetOptions(chunkShape: [1024, 2])

    @Test("a whole-dataset read of 10¹² × 2 floats throws exceedsMemory naming the object and the bytes; a small read of the same dataset works")
    func wholeReadOfHugeExtent() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("huge.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let dataset = try file.createDataset("huge", of: Float.self, shape: [1_000_000_000_000, 2], options: Self.sparse)
            try [Float(1), 2, 3, 4].withUnsafeBufferPointer { try dataset.write(from: $0, start: [0, 0], count: [2, 2]) }
            try file.close()

            let reader = try HDF5File(path, mode: .readOnly)
            let error = expectHDF5Error { _ = try reader.openDataset("huge").read(as: Float.self) }
            #expect(error?.kind == .exceedsMemory)
            #expect(error?.objectPath == "/huge")
            #expect(error?.description.contains("2000000000000 elements") == true, "\(String(describing: error))")
            #expect(error?.description.contains("8000000000000 bytes") == true, "\(String(describing: error))")
            // The block the file really holds is still readable, and a block beyond the limit is refused.
            #expect(try reader.openDataset("huge").read(as: Float.self, start: [0, 0], count: [2, 2]) == [1, 2, 3, 4])
            let block = expectHDF5Error { _ = try reader.openDataset("huge").read(as: Float.self, start: [0, 0], count: [999_999_999_999, 2]) }
            #expect(block?.kind == .exceedsMemory)
            try reader.close()
        }
    }

    @Test("an extent whose byte count overflows Int is refused, not wrapped around")
    func byteCountOverflow() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("overflow.h5").path
            let file = try HDF5File(path, mode: .truncate)
            // 2⁴⁰ × 2²⁰ = 2⁶⁰ elements: the count fits Int, 8 bytes each (2⁶³) does not.
            _ = try file.createDataset("wide", of: Double.self, shape: [1 << 40, 1 << 20], options: HDF5DatasetOptions(chunkShape: [64, 64]))
            try file.close()
            let reader = try HDF5File(path, mode: .readOnly)
            let error = expectHDF5Error { _ = try reader.openDataset("wide").read(as: Double.self) }
            #expect(error?.kind == .exceedsMemory)
            #expect(error?.description.contains("more than \(Int.max) bytes") == true, "\(String(describing: error))")
            try reader.close()
        }
    }
}
