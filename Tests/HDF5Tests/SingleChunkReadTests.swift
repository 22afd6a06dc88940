import Foundation
@testable import HDF5
import Testing

/// Whole-dataset reads of a single stored chunk (`H5Dread_chunk` and this package's Fletcher-32
/// check, the checkpoint load path): the same values as libhdf5's own `H5Dread`, the fast path taken
/// exactly when the layout qualifies, and corruption still reported by libhdf5.
@Suite("Single-chunk reads")
struct SingleChunkReadTests {
    /// Writes `values` as dataset "x" of `shape` with `options`, closes the file, and returns the path.
    static func written<T: HDF5Scalar>(_ values: [T], shape: [Int], options: HDF5DatasetOptions, in directory: URL,
                                       name: String = "x.h5") throws -> String {
        let path = directory.appendingPathComponent(name).path
        let file = try HDF5File(path, mode: .truncate)
        try file.createDataset("x", values: values, shape: shape, options: options)
        try file.close()
        return path
    }

    /// The values libhdf5's filter pipeline returns (a hyperslab read of the whole dataset, which
    /// never takes the single-chunk path).
    static func libhdf5Read<T: HDF5Scalar>(_ dataset: HDF5Dataset, as type: T.Type) throws -> [T] {
        let shape = try dataset.shape()
        return try dataset.read(as: T.self, start: shape.map { _ in 0 }, count: shape)
    }

    @Test("a one-chunk Fletcher-32 or unfiltered dataset opened read-only is read as its stored chunk, equal to H5Dread",
          arguments: [1, 2, 3, 16, 17, 1000, 16_385, 250_001])
    func singleChunkMatchesLibhdf5(count: Int) throws {
        try withTemporaryDirectory { directory in
            let floats = (0..<count).map { Float(sin(Double($0) * 0.37)) * 1e3 }
            let doubles = (0..<count).map { Double($0) * -1.5e-7 + 3 }
            let integers = (0..<count).map { Int32(truncatingIfNeeded: $0 &* 2_654_435_761) }
            for fletcher32 in [true, false] {
                let options = HDF5DatasetOptions(chunkShape: [count], fletcher32: fletcher32)
                let floatFile = try HDF5File(try Self.written(floats, shape: [count], options: options, in: directory, name: "f.h5"))
                let floatSet = try floatFile.openDataset("x")
                #expect(try floatSet.readSingleStoredChunk(as: Float.self) == floats)
                #expect(try floatSet.read(as: Float.self) == floats)
                #expect(try Self.libhdf5Read(floatSet, as: Float.self) == floats)
                let doubleFile = try HDF5File(try Self.written(doubles, shape: [count], options: options, in: directory, name: "d.h5"))
                #expect(try doubleFile.openDataset("x").readSingleStoredChunk(as: Double.self) == doubles)
                let integerFile = try HDF5File(try Self.written(integers, shape: [count], options: options, in: directory, name: "i.h5"))
                #expect(try integerFile.openDataset("x").readSingleStoredChunk(as: Int32.self) == integers)
            }
        }
    }

    @Test("a two-dimensional single chunk (a weight matrix) reads in row-major order")
    func matrixChunk() throws {
        try withTemporaryDirectory { directory in
            let values = (0..<(37 * 5)).map { Float($0) - 90.5 }
            let path = try Self.written(values, shape: [37, 5], options: HDF5DatasetOptions(chunkShape: [37, 5], fletcher32: true), in: directory)
            let dataset = try HDF5File(path).openDataset("x")
            #expect(try dataset.readSingleStoredChunk(as: Float.self) == values)
            #expect(try Self.libhdf5Read(dataset, as: Float.self) == values)
        }
    }

    @Test("layouts that do not qualify take libhdf5's path and read the same values: several chunks, gzip, shuffle, contiguous, a writable file")
    func otherLayoutsFallBack() throws {
        try withTemporaryDirectory { directory in
            let values = (0..<4096).map { Float($0) * 0.5 }
            let layouts: [(String, HDF5DatasetOptions)] = [
                ("two chunks", HDF5DatasetOptions(chunkShape: [2048], fletcher32: true)),
                ("gzip", HDF5DatasetOptions(chunkShape: [4096], gzipLevel: 4, fletcher32: true)),
                ("shuffle", HDF5DatasetOptions(chunkShape: [4096], shuffle: true, fletcher32: true)),
                ("contiguous", HDF5DatasetOptions()),
            ]
            for (name, options) in layouts {
                let dataset = try HDF5File(try Self.written(values, shape: [4096], options: options, in: directory)).openDataset("x")
                #expect(try dataset.readSingleStoredChunk(as: Float.self) == nil, "\(name)")
                #expect(try dataset.read(as: Float.self) == values, "\(name)")
            }
            let path = try Self.written(values, shape: [4096], options: HDF5DatasetOptions(chunkShape: [4096], fletcher32: true), in: directory)
            let writable = try HDF5File(path, mode: .readWrite)
            let dataset = try writable.openDataset("x")
            #expect(try dataset.readSingleStoredChunk(as: Float.self) == nil)
            let updated = values.map { $0 + 1 }
            try dataset.write(updated)  // may sit in libhdf5's chunk cache: the read must see it
            #expect(try dataset.read(as: Float.self) == updated)
        }
    }

    @Test("an unwritten (unallocated) chunk is not read directly and reads as zeros")
    func unallocatedChunk() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("empty.h5").path
            let file = try HDF5File(path, mode: .truncate)
            _ = try file.createDataset("x", of: Float.self, shape: [64], options: HDF5DatasetOptions(chunkShape: [64], fletcher32: true))
            try file.close()
            let dataset = try HDF5File(path).openDataset("x")
            #expect(try dataset.readSingleStoredChunk(as: Float.self) == nil)
            #expect(try dataset.read(as: Float.self) == [Float](repeating: 0, count: 64))
        }
    }

    @Test("a corrupted byte in a checksummed single chunk is refused, and the read fails in libhdf5's H5Dread with its checksum message")
    func corruptionIsReported() throws {
        try withTemporaryDirectory { directory in
            let values = (0..<1000).map { Float($0) * 0.125 }
            let path = try Self.written(values, shape: [1000], options: HDF5DatasetOptions(chunkShape: [1000], fletcher32: true), in: directory)
            let storage = try #require(try HDF5File(path).openDataset("x").chunkStorage(at: [0]))
            for position in [0, storage.storedSize / 2, storage.storedSize - 5, storage.storedSize - 1] {  // data and checksum bytes
                var data = try Data(contentsOf: URL(fileURLWithPath: path))
                data[Int(storage.address) + position] ^= 0x04
                let damaged = directory.appendingPathComponent("damaged.h5").path
                try data.write(to: URL(fileURLWithPath: damaged))
                let dataset = try HDF5File(damaged).openDataset("x")
                #expect(try dataset.readSingleStoredChunk(as: Float.self) == nil, "byte \(position)")
                let error = expectHDF5Error { _ = try dataset.read(as: Float.self) }
                #expect(error?.call == "H5Dread")
                #expect(error?.stackText.lowercased().contains("checksum") == true, "byte \(position): \(String(describing: error))")
            }
        }
    }

    @Test("the wrong Swift element type is still a type mismatch, not a reinterpretation of the stored bytes")
    func typeMismatch() throws {
        try withTemporaryDirectory { directory in
            let path = try Self.written((0..<16).map(Float.init), shape: [16], options: HDF5DatasetOptions(chunkShape: [16], fletcher32: true), in: directory)
            let dataset = try HDF5File(path).openDataset("x")
            #expect(try dataset.readSingleStoredChunk(as: Int32.self) == nil)
            let error = expectHDF5Error { _ = try dataset.read(as: Int32.self) }
            #expect(error?.kind == .typeMismatch)
        }
    }
}
