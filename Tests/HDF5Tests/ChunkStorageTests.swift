import Foundation
import HDF5
import Testing

/// `HDF5Dataset.chunkStorage(at:)` and `allocatedChunkCount()`: the chunk index as libhdf5 records it.
@Suite("Chunk storage queries")
struct ChunkStorageTests {
    @Test("written chunks report their address and size (the bytes there are the rows written); grown-but-unwritten chunks report none")
    func chunkStorageFindsWrittenRowsAndOnlyThose() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("chunks.h5").path
            let file = try HDF5File(path, mode: .truncate)
            // Uncompressed chunks of 4 rows × 3 columns, extendible along rows.
            let dataset = try file.createDataset("x", of: Float.self, shape: [0, 3],
                                                 options: HDF5DatasetOptions(chunkShape: [4, 3], maxShape: .unlimitedFirstAxis))
            let rows = (0..<(10 * 3)).map { Float($0) * 0.5 - 3 }
            try dataset.append(rows)                    // rows 0..<10: chunks at 0, 4, 8
            try dataset.resize(to: [16, 3])             // rows 10..<16 exist but chunk 12 is never written
            try file.close()

            let reopened = try HDF5File(path)
            let stored = try reopened.openDataset("x")
            #expect(try stored.allocatedChunkCount() == 3)
            var addresses: [UInt64] = []
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for first in [0, 4, 8] {
                let storage = try #require(try stored.chunkStorage(at: [first, 0]))
                #expect(storage.offset == [first, 0])
                #expect(storage.storedSize == 4 * 3 * 4, "an unfiltered chunk stores 4×3 float32")
                #expect(storage.filterMask == 0)
                addresses.append(storage.address)
                // The bytes at the reported address are the rows written there (the last chunk: rows 8, 9, then fill).
                let start = Int(storage.address)
                let stride = MemoryLayout<Float>.size
                for element in 0..<(4 * 3) where first * 3 + element < rows.count {
                    let pattern = bytes[(start + element * stride)..<(start + (element + 1) * stride)]
                        .enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
                    #expect(pattern == rows[first * 3 + element].bitPattern, "chunk \(first), element \(element)")
                }
            }
            #expect(Set(addresses).count == 3)
            #expect(try stored.chunkStorage(at: [12, 0]) == nil, "a chunk inside the extent but never written is unallocated")
            try reopened.close()
        }
    }

    @Test("offsets off the chunk grid, of the wrong rank, or on a contiguous dataset are refused with a message")
    func invalidQueriesAreRefused() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("bad.h5").path, mode: .truncate)
            let chunked = try file.createDataset("x", of: Float.self, shape: [8, 3],
                                                 options: HDF5DatasetOptions(chunkShape: [4, 3]))
            let misaligned = expectHDF5Error { _ = try chunked.chunkStorage(at: [2, 0]) }
            #expect(misaligned.map { "\($0)".contains("multiple of the chunk shape [4, 3]") } == true)
            let wrongRank = expectHDF5Error { _ = try chunked.chunkStorage(at: [0]) }
            #expect(wrongRank.map { "\($0)".contains("rank 2") } == true)
            let contiguous = try file.createDataset("y", values: [Float](repeating: 1, count: 6), shape: [2, 3])
            let notChunked = expectHDF5Error { _ = try contiguous.chunkStorage(at: [0, 0]) }
            #expect(notChunked.map { "\($0)".contains("not chunked") } == true)
            try file.close()
        }
    }
}
