import Dispatch
import Foundation

/// Whole rows to append to one chunked dataset by direct chunk writes, not yet encoded: the values
/// (held, not copied) and the dataset's ``HDF5ChunkCodec``. The chunks cover every axis but the
/// first in full, so r rows make ⌈r / chunkRows⌉ chunks; the last one, when partial, is padded with
/// zeros (the default fill value) to a whole chunk before filtering, as libhdf5 stores edge chunks.
public struct HDF5RowBlock: Sendable {
    public let codec: HDF5ChunkCodec
    /// Rows (slices along the first axis) in the block.
    public let rowCount: Int
    private let storage: any RowStorage

    /// Rows of `values` in row-major order; the count must be a whole number of rows of the chunk's
    /// row shape and `T` must be the codec's element type.
    public init<T: HDF5Scalar>(_ values: [T], codec: HDF5ChunkCodec) throws {
        guard T.elementType == codec.elementType, MemoryLayout<T>.stride == codec.elementSize else {
            throw HDF5Error(.typeMismatch, call: "H5Dwrite_chunk", filePath: "", objectPath: "",
                            message: "the codec encodes \(codec.elementType), not the Swift element type \(T.self)")
        }
        let rowSize = codec.chunkShape.dropFirst().reduce(1, *)
        guard values.count % rowSize == 0 else {
            throw HDF5Error(.shapeMismatch, call: "H5Dwrite_chunk", filePath: "", objectPath: "",
                            message: "\(values.count) values are not whole rows of shape \(Array(codec.chunkShape.dropFirst())) (\(rowSize) elements each)")
        }
        self.codec = codec
        rowCount = values.count / rowSize
        storage = TypedRows(values: values)
    }

    /// Rows per chunk.
    var chunkRows: Int { codec.chunkShape[0] }
    /// Chunks the block fills.
    public var chunkCount: Int { (rowCount + chunkRows - 1) / chunkRows }

    /// The unfiltered bytes of chunk `index` (short for a partial last chunk: the codec pads it
    /// with zeros), passed to `body`.
    func withChunkBytes<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withBytes { all in
            let start = index * codec.chunkByteCount
            return try body(UnsafeRawBufferPointer(rebasing: all[start..<min(start + codec.chunkByteCount, all.count)]))
        }
    }

    /// Encodes every chunk of every block, spreading the chunks over up to `threads` threads (at
    /// least 1), each thread taking the next chunk not yet taken. Only pure encoding runs here — no
    /// libhdf5 call — and each chunk's bytes depend on nothing but its values and codec, so the
    /// result, block by block and chunk by chunk, is the same for every thread count. A failure
    /// throws the error of the first failing chunk in block and chunk order.
    public static func encode(_ blocks: [HDF5RowBlock], threads: Int) throws -> [HDF5EncodedRows] {
        let chunks: [(block: Int, chunk: Int)] = blocks.indices.flatMap { b in (0..<blocks[b].chunkCount).map { (b, $0) } }
        let encoded = ResultSlots<HDF5EncodedChunk>(count: chunks.count)
        let compressors = HDF5Deflate.Compressors()
        try ParallelItems.run(count: chunks.count, threads: threads) { item in
            let block = blocks[chunks[item].block]
            encoded[item] = try block.withChunkBytes(chunks[item].chunk) { try block.codec.encode(raw: $0, compressors: compressors) }
        }
        var result: [HDF5EncodedRows] = []
        var chunk = 0
        for block in blocks {
            result.append(HDF5EncodedRows(codec: block.codec, rowCount: block.rowCount,
                                          chunks: (chunk..<(chunk + block.chunkCount)).map { encoded[$0]! }))
            chunk += block.chunkCount
        }
        return result
    }

    /// Encodes this block on the calling thread.
    public func encoded() throws -> HDF5EncodedRows {
        try Self.encode([self], threads: 1)[0]
    }
}

/// Rows encoded for an append (``HDF5RowBlock/encode(_:threads:)``): chunk i holds rows
/// i·chunkRows ..< min((i+1)·chunkRows, rowCount) of the block, the last one padded.
public struct HDF5EncodedRows: Sendable, Equatable {
    public let codec: HDF5ChunkCodec
    public let rowCount: Int
    public let chunks: [HDF5EncodedChunk]
}

/// The values of a block, whatever their element type (arrays are shared, not copied).
private protocol RowStorage: Sendable {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

private struct TypedRows<T: HDF5Scalar>: RowStorage {
    let values: [T]
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try values.withUnsafeBytes(body) }
}

/// One write-once slot per work item, filled by whichever thread runs the item and read after the
/// stage has finished (`ParallelItems.run` returns only when every item has run). Distinct items
/// touch distinct slots of one fixed allocation, so no two threads ever access the same memory.
private final class ResultSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value?>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    subscript(index: Int) -> Value? {
        get { slots[index] }
        set { slots[index] = newValue }
    }
}

/// Runs `count` independent items on the calling thread and up to `threads − 1` helpers, each
/// taking the next item not yet taken, and returns once every item has run; rethrows the error of
/// the lowest failing item.
///
/// The calling thread works through the items itself, so it never waits for a helper that the
/// scheduler has not started yet — on a busy machine a helper may start late, find nothing left and
/// return at once. It only waits for items a helper has already taken. A helper calls `body` only
/// for an item it took, so `body` never runs after `run` has returned.
enum ParallelItems {
    static func run(count: Int, threads: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        let helpers = min(max(1, threads), count) - 1
        guard helpers > 0 else {
            for item in 0..<count { try body(item) }
            return
        }
        let share = WorkShare(count: count, body: body)
        for _ in 0..<helpers { DispatchQueue.global().async { share.work() } }
        share.work()
        try share.waitForTakenItems()
    }
}

/// The items of one ``ParallelItems/run(count:threads:_:)`` and who has taken and finished what.
private final class WorkShare: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let body: @Sendable (Int) throws -> Void
    // Guarded by `condition`.
    private var next = 0
    private var running = 0
    private var failure: (item: Int, error: any Error)?

    init(count: Int, body: @escaping @Sendable (Int) throws -> Void) {
        self.count = count
        self.body = body
    }

    /// Takes and runs items until none is left.
    func work() {
        while true {
            condition.lock()
            guard next < count else {
                condition.unlock()
                return
            }
            let item = next
            next += 1
            running += 1
            condition.unlock()
            var caught: (any Error)?
            do { try body(item) } catch { caught = error }
            condition.lock()
            running -= 1
            if let caught, failure == nil || item < failure!.item { failure = (item, caught) }
            if running == 0 { condition.broadcast() }
            condition.unlock()
        }
    }

    /// Waits until every item taken so far has finished (call after ``work()`` found none left).
    func waitForTakenItems() throws {
        condition.lock()
        while running > 0 { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure.error }
    }
}
