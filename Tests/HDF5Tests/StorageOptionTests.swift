import Foundation
import HDF5
import Testing

@Suite("Chunking, filters, extendible datasets and hyperslabs")
struct StorageOptionTests {
    static let filtered = HDF5DatasetOptions(chunkShape: [16, 33], gzipLevel: 4, shuffle: true, fletcher32: true)

    @Test("a chunked dataset with shuffle, gzip and Fletcher-32 round-trips and reports its layout and filters")
    func filteredRoundTrip() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("filtered.h5").path
            let values = SampleValues.float(64 * 33)
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("x", values: values, shape: [64, 33], options: Self.filtered)
            let flags = SampleValues.bool(40)
            try file.createDataset("flags", values: flags, shape: [8, 5],
                                   options: HDF5DatasetOptions(chunkShape: [2, 5], gzipLevel: 9, fletcher32: true))
            try file.close()

            let reopened = try HDF5File(path)
            let dataset = try reopened.openDataset("x")
            #expect(bytes(try dataset.read(as: Float.self)) == bytes(values))
            #expect(try dataset.chunkShape() == [16, 33])
            #expect(try dataset.storageLayout() == .chunked([16, 33]))
            #expect(try dataset.filters() == [.shuffle, .gzip(level: 4), .fletcher32])
            #expect(try dataset.maxShape() == [64, 33])
            #expect(try reopened.openDataset("flags").read(as: Bool.self) == flags)
            #expect(try reopened.openDataset("flags").filters() == [.gzip(level: 9), .fletcher32])

            let text = try HDF5Inspector.describe(reopened)
            #expect(text.contains("/x  dataset float32 [64, 33]  chunks [16, 33]  filters shuffle → gzip(level 4) → fletcher32"),
                    "\(text)")
            #expect(text.contains("/flags  dataset bool [8, 5]  chunks [2, 5]  filters gzip(level 9) → fletcher32"), "\(text)")
        }
    }

    @Test("gzip really compresses: a million zeros take far less than their 4 MB")
    func gzipCompresses() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("zeros.h5").path
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("zeros", values: [Float](repeating: 0, count: 1 << 20), shape: [1024, 1024],
                                   options: HDF5DatasetOptions(chunkShape: [128, 1024], gzipLevel: 6, shuffle: true))
            try file.close()
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? .max
            #expect(size < 200_000, "file is \(size) bytes")
        }
    }

    @Test("Fletcher-32 turns a corrupted chunk into a thrown error at read time, not garbage")
    func fletcherDetectsCorruption() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("corrupt.h5").path
            let values = (0..<256).map { Float($0) + 0.125 }
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("x", values: values, shape: [256],
                                   options: HDF5DatasetOptions(chunkShape: [256], fletcher32: true))
            try file.close()

            // Flip one byte inside the stored chunk, found by its first 16 bytes.
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            let marker = Data(bytes(Array(values.prefix(4))))
            let range = try #require(data.range(of: marker))
            data[range.lowerBound + 40] ^= 0xFF
            try data.write(to: URL(fileURLWithPath: path))

            let reopened = try HDF5File(path)
            let error = expectHDF5Error { _ = try reopened.openDataset("x").read(as: Float.self) }
            #expect(error?.call == "H5Dread")
            #expect(error?.objectPath == "/x")
            #expect(error?.stackText.lowercased().contains("checksum") == true, "\(String(describing: error))")
        }
    }

    @Test("filters without a chunk shape get the automatic chunks; rank 0 cannot be chunked; gzip level is 0…9")
    func automaticChunksAndInvalidOptions() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("auto.h5").path, mode: .truncate)
            let dataset = try file.createDataset("x", of: Double.self, shape: [10_000, 3],
                                                 options: HDF5DatasetOptions(gzipLevel: 1))
            #expect(try dataset.chunkShape() == HDF5DatasetOptions.automaticChunkShape(shape: [10_000, 3], elementSize: 8))
            #expect(HDF5DatasetOptions.automaticChunkShape(shape: [10_000, 3], elementSize: 8) == [2730, 3])
            #expect(HDF5DatasetOptions.automaticChunkShape(shape: [5, 3], elementSize: 8) == [5, 3])
            #expect(HDF5DatasetOptions.automaticChunkShape(shape: [0, 0], elementSize: 4) == [16_384, 1])
            let scalar = expectHDF5Error {
                _ = try file.createDataset("s", of: Float.self, shape: [], options: HDF5DatasetOptions(fletcher32: true))
            }
            #expect(scalar?.kind == .invalidArgument)
            let level = expectHDF5Error {
                _ = try file.createDataset("g", of: Float.self, shape: [4], options: HDF5DatasetOptions(gzipLevel: 12))
            }
            #expect(level?.kind == .invalidArgument)
            let chunks = expectHDF5Error {
                _ = try file.createDataset("c", of: Float.self, shape: [4, 4], options: HDF5DatasetOptions(chunkShape: [2]))
            }
            #expect(chunks?.kind == .invalidArgument)
        }
    }

    @Test("appending blocks grows the first axis; everything and any hyperslab read back")
    func extendibleAppend() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("extendible.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let options = HDF5DatasetOptions(chunkShape: [4, 3], gzipLevel: 4, shuffle: true, fletcher32: true,
                                             maxShape: .unlimitedFirstAxis)
            let dataset = try file.createDataset("series", of: Float.self, shape: [0, 3], options: options)
            #expect(try dataset.maxShape() == [nil, 3])
            var expected: [Float] = []
            for rows in [2, 5, 1, 9] {
                let block = (0..<(rows * 3)).map { Float(expected.count + $0) * 0.5 }
                try dataset.append(block)
                expected += block
            }
            try dataset.append([Float]())  // nothing to add is not an error
            #expect(try dataset.shape() == [17, 3])
            try file.close()

            let reopened = try HDF5File(path)
            let series = try reopened.openDataset("series")
            #expect(try series.shape() == [17, 3])
            #expect(try series.read(as: Float.self) == expected)
            let block = try series.read(as: Float.self, start: [3, 1], count: [6, 2])
            #expect(block == slice(expected, shape: [17, 3], start: [3, 1], count: [6, 2]))
            let text = try HDF5Inspector.describe(reopened)
            #expect(text.contains("/series  dataset float32 [17, 3]  maxshape [unlimited, 3]  chunks [4, 3]"), "\(text)")
        }
    }

    @Test("an extendible 1-D series of Double and a 3-D series of Int32 append like the metrics and trajectory files")
    func extendibleOtherRanks() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("series.h5").path, mode: .truncate)
            let loss = try file.createDataset("scalars/train/loss", of: Double.self, shape: [0],
                                              options: HDF5DatasetOptions(maxShape: .unlimitedFirstAxis),
                                              createIntermediateGroups: true)
            for step in 0..<5 { try loss.append([Double(step) / 10]) }
            #expect(try loss.read(as: Double.self) == [0, 0.1, 0.2, 0.3, 0.4])
            #expect(try loss.chunkShape() != nil)
            try loss.resize(to: [2])
            #expect(try loss.read(as: Double.self) == [0, 0.1])
            try loss.resize(to: [3])
            #expect(try loss.read(as: Double.self) == [0, 0.1, 0])
            let fixed = try file.createDataset("fixed", values: [Float(1), 2])
            let beyond = expectHDF5Error { try fixed.resize(to: [3]) }
            #expect(beyond?.call == "H5Dset_extent")
            #expect(beyond?.stack.isEmpty == false)
            let episodes = try file.createDataset("observations", of: Int32.self, shape: [0, 2, 2],
                                                  options: HDF5DatasetOptions(maxShape: .unlimitedFirstAxis))
            try episodes.append([Int32](1...8))
            try episodes.append([Int32](9...12))
            #expect(try episodes.shape() == [3, 2, 2])
            #expect(try episodes.read(as: Int32.self, start: [2, 0, 0], count: [1, 2, 2]) == [9, 10, 11, 12])
        }
    }

    @Test("appending a partial row or past a fixed first axis throws a shape error")
    func appendErrors() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("append-errors.h5").path, mode: .truncate)
            let series = try file.createDataset("series", of: Float.self, shape: [0, 3],
                                                options: HDF5DatasetOptions(maxShape: .unlimitedFirstAxis))
            let partial = expectHDF5Error { try series.append([Float](repeating: 1, count: 4)) }
            #expect(partial?.kind == .shapeMismatch)
            #expect(try series.shape() == [0, 3])
            let fixed = try file.createDataset("fixed", values: [Float](repeating: 0, count: 6), shape: [2, 3])
            let full = expectHDF5Error { try fixed.append([Float](repeating: 1, count: 3)) }
            #expect(full?.kind == .shapeMismatch)
            #expect(full?.description.contains("/fixed") == true)
            let wrongType = expectHDF5Error { try series.append([Double](repeating: 1, count: 3)) }
            #expect(wrongType?.kind == .typeMismatch)
        }
    }

    @Test("a hyperslab write changes exactly its block in the middle of a dataset")
    func hyperslabWrite() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("hyperslab.h5").path, mode: .truncate)
            let dataset = try file.createDataset("grid", values: [Int64](repeating: 0, count: 20), shape: [4, 5])
            try dataset.write([Int64]([1, 2, 3, 4, 5, 6]), start: [1, 2], count: [2, 3])
            #expect(try dataset.read(as: Int64.self) == [
                0, 0, 0, 0, 0,
                0, 0, 1, 2, 3,
                0, 0, 4, 5, 6,
                0, 0, 0, 0, 0,
            ])
            let cube = try file.createDataset("cube", values: [UInt8](repeating: 0, count: 24), shape: [2, 3, 4])
            try cube.write([UInt8]([7, 8]), start: [1, 2, 1], count: [1, 1, 2])
            var expected = [UInt8](repeating: 0, count: 24)
            expected[12 + 8 + 1] = 7
            expected[12 + 8 + 2] = 8
            #expect(try cube.read(as: UInt8.self) == expected)
            let scalar = try file.createDataset("scalar", values: [Float(3)], shape: [])
            try scalar.write([Float(4)], start: [], count: [])
            #expect(try scalar.read(as: Float.self, start: [], count: []) == [4])
        }
    }

    @Test("hyperslabs outside the dataset, of the wrong rank, or with the wrong count throw before any I/O")
    func hyperslabErrors() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("hyperslab-errors.h5").path, mode: .truncate)
            let dataset = try file.createDataset("grid", values: [Float](repeating: 0, count: 20), shape: [4, 5])
            let outside = expectHDF5Error { _ = try dataset.read(as: Float.self, start: [3, 0], count: [2, 5]) }
            #expect(outside?.kind == .shapeMismatch)
            let negative = expectHDF5Error { _ = try dataset.read(as: Float.self, start: [0, 0], count: [-1, 2]) }
            #expect(negative?.kind == .shapeMismatch)
            let rank = expectHDF5Error { _ = try dataset.read(as: Float.self, start: [0], count: [2]) }
            #expect(rank?.kind == .invalidArgument)
            let count = expectHDF5Error { try dataset.write([Float](repeating: 1, count: 5), start: [0, 0], count: [2, 2]) }
            #expect(count?.kind == .shapeMismatch)
            #expect(try dataset.read(as: Float.self) == [Float](repeating: 0, count: 20))
        }
    }
}
