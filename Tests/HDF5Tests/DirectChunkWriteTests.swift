import Foundation
import HDF5
import Testing

/// Direct chunk writes (`H5Dwrite_chunk` of chunks encoded by `HDF5ChunkCodec`) read back by
/// libhdf5 — which decodes every filter and verifies the Fletcher-32 checksum — and store what a
/// hyperslab append through libhdf5's own filters stores: the same bytes without gzip, the same
/// bytes once inflated with it (libdeflate and zlib compress differently).
@Suite("Direct chunk writes")
struct DirectChunkWriteTests {
    /// Every subset of shuffle → gzip 4 → Fletcher-32.
    static let pipelines: [(shuffle: Bool, gzip: Bool, fletcher32: Bool)] =
        (0..<8).map { (shuffle: $0 & 1 != 0, gzip: $0 & 2 != 0, fletcher32: $0 & 4 != 0) }

    static func options(rowShape: [Int], chunkRows: Int, _ pipeline: (shuffle: Bool, gzip: Bool, fletcher32: Bool)) -> HDF5DatasetOptions {
        HDF5DatasetOptions(chunkShape: [chunkRows] + rowShape, gzipLevel: pipeline.gzip ? 4 : nil, shuffle: pipeline.shuffle,
                           fletcher32: pipeline.fletcher32, maxShape: .unlimitedFirstAxis)
    }

    /// Appends `batches` of rows to `direct` by direct chunk writes and to `reference` by hyperslab
    /// appends, then checks both read back as the concatenation, and that every stored chunk is
    /// libhdf5's own: byte for byte without gzip; with gzip, the same Fletcher-32 layout and the same
    /// bytes once zlib inflates both.
    static func checkAgainstLibhdf5<T: HDF5Scalar & Equatable>(
        _ type: T.Type, rowShape: [Int], chunkRows: Int, batches: [[T]], file: HDF5File, name: String,
        pipeline: (shuffle: Bool, gzip: Bool, fletcher32: Bool)
    ) throws {
        let options = options(rowShape: rowShape, chunkRows: chunkRows, pipeline)
        let direct = try file.createDataset(name + "-direct", of: T.self, shape: [0] + rowShape, options: options)
        let reference = try file.createDataset(name + "-hyperslab", of: T.self, shape: [0] + rowShape, options: options)
        let codec = try #require(try direct.chunkCodec(for: T.self), "\(name): the pipeline must be supported")
        #expect(codec.shuffle == pipeline.shuffle && (codec.deflate != nil) == pipeline.gzip && codec.fletcher32 == pipeline.fletcher32)
        for batch in batches {
            try direct.appendEncodedRows(try HDF5RowBlock(batch, codec: codec).encoded())
            try reference.append(batch)
        }
        let all = batches.flatMap { $0 }
        let rows = all.count / max(1, rowShape.reduce(1, *))
        #expect(try direct.shape() == [rows] + rowShape, "\(name)")
        #expect(try direct.read(as: T.self) == all, "\(name)")
        #expect(try reference.read(as: T.self) == all, "\(name)")
        for first in stride(from: 0, to: rows, by: chunkRows) {
            let offset = [first] + rowShape.map { _ in 0 }
            let ours = try #require(try direct.readStoredChunk(at: offset), "\(name) chunk \(first)")
            let theirs = try #require(try reference.readStoredChunk(at: offset), "\(name) chunk \(first)")
            #expect(ours.filterMask == 0 && theirs.filterMask == 0, "\(name) chunk \(first)")
            guard pipeline.gzip else {
                #expect(ours == theirs, "\(name): chunk at row \(first) (\(ours.bytes.count) vs \(theirs.bytes.count) bytes)")
                continue
            }
            func inflated(_ chunk: HDF5EncodedChunk) -> [UInt8]? {
                var stream = chunk.bytes
                if pipeline.fletcher32 {
                    let checksum = Array(stream.suffix(4))
                    stream.removeLast(4)
                    var again = stream
                    HDF5Fletcher32.appending(to: &again)
                    guard Array(again.suffix(4)) == checksum else { return nil }
                }
                return ChunkFilterTests.zlibUncompress(stream, count: codec.chunkByteCount)
            }
            let ourBytes = try #require(inflated(ours), "\(name) chunk \(first): our stream")
            #expect(ourBytes == inflated(theirs), "\(name): chunk at row \(first) inflates differently")
        }
    }

    @Test("Float, UInt64, Bool and Int32 rows appended in full and partial (edge) chunks, over several appends, read back by libhdf5 for every subset of filters, and store libhdf5's own bytes")
    func everyTypeAndPipelineRoundTrips() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("direct.h5").path, mode: .truncate)
            for (index, pipeline) in Self.pipelines.enumerated() {
                // Rows: 10 (two whole chunks of 5), 5 (one), 7 (one whole, one edge chunk of 2).
                let floats: [[Float]] = [10, 5, 7].enumerated().map { b, rows in
                    (0..<(rows * 6)).map { Float(sin(Double(b * 1000 + $0) * 0.37)) * 100 }
                }
                try Self.checkAgainstLibhdf5(Float.self, rowShape: [3, 2], chunkRows: 5, batches: floats, file: file,
                                             name: "float-\(index)", pipeline: pipeline)
                let seeds: [[UInt64]] = [[UInt64](0..<16).map { $0 &* 0x9E37_79B9_7F4A_7C15 }, [1, 2, UInt64.max]]
                try Self.checkAgainstLibhdf5(UInt64.self, rowShape: [], chunkRows: 8, batches: seeds, file: file,
                                             name: "uint64-\(index)", pipeline: pipeline)
                let flags: [[Bool]] = [(0..<(12 * 4)).map { $0 % 5 == 3 }, (0..<(3 * 4)).map { $0 % 2 == 0 }]
                try Self.checkAgainstLibhdf5(Bool.self, rowShape: [4], chunkRows: 6, batches: flags, file: file,
                                             name: "bool-\(index)", pipeline: pipeline)
                let labels: [[Int32]] = [(0..<8).map { Int32($0 * 1_000_003 % 17) - 8 }, [Int32.min, Int32.max, 0, -1], [42]]
                try Self.checkAgainstLibhdf5(Int32.self, rowShape: [], chunkRows: 4, batches: labels, file: file,
                                             name: "int32-\(index)", pipeline: pipeline)
            }
            try file.close()
        }
    }

    @Test("the writer's chunks (1024 × 19 × 2 float32, 155 KB) read back through libhdf5 after a direct append, a resize and another")
    func largeChunksReadBack() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("large.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let options = Self.options(rowShape: [19, 2], chunkRows: 1024, (true, true, true))
            let dataset = try file.createDataset("x", of: Float.self, shape: [0, 19, 2], options: options)
            let codec = try #require(try dataset.chunkCodec(for: Float.self))
            #expect(codec.chunkByteCount == 1024 * 19 * 2 * 4)
            let values = (0..<(2500 * 38)).map { Float(sin(0.001 * Double($0))) * 80 }
            let encoded = try HDF5RowBlock(values, codec: codec).encoded()
            #expect(encoded.chunks.count == 3)
            try dataset.appendEncodedRows(encoded)
            try dataset.resize(to: [3072, 19, 2])
            let more = (0..<(1000 * 38)).map { Float($0 % 101) - 50 }
            try dataset.appendEncodedRows(try HDF5RowBlock(more, codec: codec).encoded())
            try file.close()
            let reopened = try HDF5File(path)
            let read = try reopened.openDataset("x").read(as: Float.self)
            #expect(read.count == 4072 * 38)
            #expect(Array(read[0..<values.count]) == values)
            #expect(read[values.count..<(3072 * 38)].allSatisfy { $0 == 0 })
            #expect(Array(read[(3072 * 38)...]) == more)
        }
    }

    @Test("libhdf5 reads, completes and rewrites a direct-written edge chunk when a hyperslab append follows")
    func hyperslabAppendAfterDirectEdgeChunk() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("edge.h5").path, mode: .truncate)
            let dataset = try file.createDataset("x", of: Int32.self, shape: [0, 2],
                                                 options: Self.options(rowShape: [2], chunkRows: 4, (true, true, true)))
            let codec = try #require(try dataset.chunkCodec(for: Int32.self))
            let first = (0..<(6 * 2)).map { Int32($0) }
            try dataset.appendEncodedRows(try HDF5RowBlock(first, codec: codec).encoded())
            // Six rows: not on a chunk boundary, so another direct append is refused…
            let refused = expectHDF5Error { try dataset.appendEncodedRows(try HDF5RowBlock(first, codec: codec).encoded()) }
            #expect(refused?.kind == .invalidArgument)
            #expect(refused.map { "\($0)".contains("chunk boundary") } == true)
            // …and the ordinary append continues inside the direct-written edge chunk.
            let second = (100..<(100 + 5 * 2)).map { Int32($0) }
            try dataset.append(second)
            #expect(try dataset.read(as: Int32.self) == first + second)
            try file.close()
        }
    }

    @Test("corrupting one stored byte of a direct-written chunk makes the read fail on the Fletcher-32 checksum")
    func corruptionIsDetected() throws {
        for gzip in [false, true] {
            try withTemporaryDirectory { directory throws in
                let path = directory.appendingPathComponent("corrupt.h5").path
                let file = try HDF5File(path, mode: .truncate)
                let dataset = try file.createDataset("x", of: Float.self, shape: [0, 8],
                                                     options: Self.options(rowShape: [8], chunkRows: 64, (true, gzip, true)))
                let codec = try #require(try dataset.chunkCodec(for: Float.self))
                let values = (0..<(64 * 8)).map { Float($0) * 0.25 }
                try dataset.appendEncodedRows(try HDF5RowBlock(values, codec: codec).encoded())
                let storage = try #require(try dataset.chunkStorage(at: [0, 0]))
                try file.close()
                #expect(try HDF5File(path).openDataset("x").read(as: Float.self) == values)

                var data = try Data(contentsOf: URL(fileURLWithPath: path))
                data[Int(storage.address) + storage.storedSize / 2] ^= 0x10
                try data.write(to: URL(fileURLWithPath: path))
                let reopened = try HDF5File(path)
                let error = expectHDF5Error { _ = try reopened.openDataset("x").read(as: Float.self) }
                #expect(error?.call == "H5Dread")
                #expect(error?.stackText.lowercased().contains("checksum") == true, "gzip \(gzip): \(String(describing: error))")
            }
        }
    }

    @Test("a chunk that gzip enlarges keeps its gzip stream (mask 0) and reads back at once through the same open dataset and after reopening")
    func incompressibleChunkKeepsGzip() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("noise.h5").path
            let file = try HDF5File(path, mode: .truncate)
            var state: UInt64 = 12_345
            let noise: [UInt8] = (0..<4096).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            for (index, pipeline) in [(false, true, true), (true, true, false), (false, true, false)].enumerated() {
                let dataset = try file.createDataset("noise-\(index)", of: UInt8.self, shape: [0],
                                                     options: Self.options(rowShape: [], chunkRows: 4096, pipeline))
                let codec = try #require(try dataset.chunkCodec(for: UInt8.self))
                let encoded = try HDF5RowBlock(noise, codec: codec).encoded()
                #expect(encoded.chunks[0].filterMask == 0)
                #expect(encoded.chunks[0].bytes.count > 4096 + (pipeline.2 ? 4 : 0), "gzip enlarged the noise")
                try dataset.appendEncodedRows(encoded)
                #expect(try dataset.read(as: UInt8.self) == noise, "read through the dataset that wrote it")
            }
            try file.close()
            let reopened = try HDF5File(path)
            for index in 0..<3 { #expect(try reopened.openDataset("noise-\(index)").read(as: UInt8.self) == noise) }
            try reopened.close()
        }
    }

    @Test("encoding on 1, 2, 3 or 8 threads gives the same chunks")
    func encodingIsThreadCountIndependent() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("threads.h5").path, mode: .truncate)
            let all = HDF5DatasetOptions(chunkShape: [1024, 19, 2], gzipLevel: 4, shuffle: true, fletcher32: true,
                                         maxShape: .unlimitedFirstAxis)
            let floats = try #require(try file.createDataset("f", of: Float.self, shape: [0, 19, 2], options: all).chunkCodec(for: Float.self))
            let flags = try #require(try file.createDataset("b", of: Bool.self, shape: [0, 18], options: HDF5DatasetOptions(
                chunkShape: [1024, 18], gzipLevel: 4, shuffle: true, fletcher32: true, maxShape: .unlimitedFirstAxis)).chunkCodec(for: Bool.self))
            let blocks = [
                try HDF5RowBlock((0..<(2100 * 38)).map { Float(sin(Double($0) * 0.001)) }, codec: floats),
                try HDF5RowBlock((0..<(1500 * 18)).map { $0 % 18 == 17 }, codec: flags),
                try HDF5RowBlock((0..<(1024 * 38)).map { Float($0 % 1000) }, codec: floats),
            ]
            let reference = try HDF5RowBlock.encode(blocks, threads: 1)
            #expect(reference.map { $0.chunks.count } == [3, 2, 1])
            for threads in [2, 3, 8] { #expect(try HDF5RowBlock.encode(blocks, threads: threads) == reference, "\(threads) threads") }
            #expect(try blocks.map { try $0.encoded() } == reference)
            try file.close()
        }
    }

    @Test("datasets the codec cannot reproduce get none; misuse is refused with a message")
    func unsupportedLayoutsAndMisuse() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("unsupported.h5").path, mode: .truncate)
            let contiguous = try file.createDataset("contiguous", values: [Float](repeating: 1, count: 6), shape: [2, 3])
            #expect(try contiguous.chunkCodec(for: Float.self) == nil)
            let partialRows = try file.createDataset("partial-rows", of: Float.self, shape: [0, 6],
                                                     options: HDF5DatasetOptions(chunkShape: [4, 3], maxShape: .unlimitedFirstAxis))
            #expect(try partialRows.chunkCodec(for: Float.self) == nil, "chunks must span whole rows")
            let typeError = expectHDF5Error { _ = try partialRows.chunkCodec(for: Int32.self) }
            #expect(typeError?.kind == .typeMismatch)

            let plain = try file.createDataset("plain", of: Float.self, shape: [0, 3],
                                               options: Self.options(rowShape: [3], chunkRows: 4, (false, false, true)))
            let gzipped = try file.createDataset("gzipped", of: Float.self, shape: [0, 3],
                                                 options: Self.options(rowShape: [3], chunkRows: 4, (true, true, true)))
            let encodedForGzip = try HDF5RowBlock([Float](repeating: 2, count: 12), codec: try #require(try gzipped.chunkCodec(for: Float.self))).encoded()
            let mismatch = expectHDF5Error { try plain.appendEncodedRows(encodedForGzip) }
            #expect(mismatch.map { "\($0)".contains("not this dataset's layout") } == true)
            #expect(try plain.shape() == [0, 3], "a refused append changes nothing")
            let notRows = #expect(throws: HDF5Error.self) { _ = try HDF5RowBlock([Float](repeating: 1, count: 7), codec: try #require(try plain.chunkCodec(for: Float.self))) }
            #expect(notRows?.kind == .shapeMismatch)
            let offGrid = expectHDF5Error { try plain.writeStoredChunk(encodedForGzip.chunks[0], at: [1, 0]) }
            #expect(offGrid?.kind == .invalidArgument)
            try file.close()
        }
    }
}
