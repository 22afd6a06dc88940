import Foundation
import HDF5
import PropertyBased
import Testing

/// Every element type the wrapper supports, for parameterised tests.
enum ElementCase: String, CaseIterable, Sendable {
    case float, double, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, bool
}

/// Values with the awkward cases first (NaN payloads, −0, infinities, subnormals, extremes), then
/// a deterministic pattern, so every position of every rank gets a distinct value.
enum SampleValues {
    static func float(_ count: Int) -> [Float] {
        let special: [Float] = [0, -0.0, .infinity, -.infinity, .nan, Float(bitPattern: 0x7FC0_1234),
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.0 / 3.0]
        return (0..<count).map { $0 < special.count ? special[$0] : Float($0) * 0.37 - 5 }
    }

    static func double(_ count: Int) -> [Double] {
        let special: [Double] = [0, -0.0, .infinity, -.infinity, .nan, Double(bitPattern: 0x7FF8_0000_DEAD_BEEF),
                                 .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.0 / 3.0]
        return (0..<count).map { $0 < special.count ? special[$0] : Double($0) * 0.37 - 5 }
    }

    static func integer<T: FixedWidthInteger>(_ count: Int, as _: T.Type = T.self) -> [T] {
        let special: [T] = [0, .min, .max, 1, T.min + 1, T.max - 1]
        return (0..<count).map { $0 < special.count ? special[$0] : T(truncatingIfNeeded: $0 &* 7919 &- 300) }
    }

    static func bool(_ count: Int) -> [Bool] {
        (0..<count).map { $0 % 3 == 0 || $0 % 5 == 1 }
    }
}

/// Shapes of rank 0 to 4, plus empty extents.
let roundTripShapes: [[Int]] = [[], [7], [3, 5], [2, 3, 4], [2, 1, 3, 2], [0], [0, 3], [3, 0, 2]]

/// Writes `values(count)` for every shape, closes and reopens the file, and checks shape, element
/// type and bytes.
func checkRoundTrip<T: HDF5Scalar>(_ values: (Int) -> [T]) throws {
    try withTemporaryDirectory { directory throws in
        let path = directory.appendingPathComponent("round-trip.h5").path
        let file = try HDF5File(path, mode: .truncate)
        for (index, shape) in roundTripShapes.enumerated() {
            try file.createDataset("rank\(shape.count)/case\(index)", values: values(shape.reduce(1, *)), shape: shape,
                                   createIntermediateGroups: true)
        }
        try file.close()

        let reopened = try HDF5File(path)
        for (index, shape) in roundTripShapes.enumerated() {
            let dataset = try reopened.openDataset("rank\(shape.count)/case\(index)")
            #expect(try dataset.shape() == shape)
            #expect(try dataset.elementType() == T.elementType)
            #expect(bytes(try dataset.read(as: T.self)) == bytes(values(shape.reduce(1, *))), "shape \(shape)")
        }
        try reopened.close()
    }
}

@Suite("Datasets round-trip bit for bit")
struct RoundTripTests {
    @Test("every element type at ranks 0–4 (and empty extents) reads back bit-identical with its shape",
          arguments: ElementCase.allCases)
    func everyTypeAndRank(_ element: ElementCase) throws {
        switch element {
        case .float: try checkRoundTrip(SampleValues.float)
        case .double: try checkRoundTrip(SampleValues.double)
        case .int8: try checkRoundTrip { SampleValues.integer($0, as: Int8.self) }
        case .int16: try checkRoundTrip { SampleValues.integer($0, as: Int16.self) }
        case .int32: try checkRoundTrip { SampleValues.integer($0, as: Int32.self) }
        case .int64: try checkRoundTrip { SampleValues.integer($0, as: Int64.self) }
        case .int: try checkRoundTrip { SampleValues.integer($0, as: Int.self) }
        case .uint8: try checkRoundTrip { SampleValues.integer($0, as: UInt8.self) }
        case .uint16: try checkRoundTrip { SampleValues.integer($0, as: UInt16.self) }
        case .uint32: try checkRoundTrip { SampleValues.integer($0, as: UInt32.self) }
        case .uint64: try checkRoundTrip { SampleValues.integer($0, as: UInt64.self) }
        case .bool: try checkRoundTrip(SampleValues.bool)
        }
    }

    @Test("the stored element type names numpy's dtype for each Swift type")
    func storedElementTypes() {
        #expect(Float.elementType == .float32)
        #expect(Double.elementType == .float64)
        #expect(Int32.elementType == .int32)
        #expect(Int64.elementType == .int64)
        #expect(Int.elementType == .int64)
        #expect(UInt8.elementType == .uint8)
        #expect(UInt64.elementType == .uint64)
        #expect(Bool.elementType == .bool)
        #expect(HDF5ElementType.bool.description == "bool")
        #expect(HDF5ElementType.variableLengthUTF8String.description == "string")
    }

    @Test("reading into and writing from caller buffers equals the array forms")
    func bufferForms() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("buffers.h5").path, mode: .truncate)
            let values = SampleValues.float(24)
            let dataset = try file.createDataset("x", of: Float.self, shape: [4, 6])
            try values.withUnsafeBufferPointer { try dataset.write(from: $0) }
            var target = [Float](repeating: 1, count: 24)
            try target.withUnsafeMutableBufferPointer { try dataset.read(into: $0) }
            #expect(bytes(target) == bytes(values))
            var row = [Float](repeating: 0, count: 6)
            try row.withUnsafeMutableBufferPointer { try dataset.read(into: $0, start: [2, 0], count: [1, 6]) }
            #expect(bytes(row) == bytes(Array(values[12..<18])))
        }
    }

    @Test("random shapes and Float values round-trip, and every hyperslab equals the slice it names")
    func randomFloatShapes() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("property-float.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let counter = Counter()
            await propertyCheck(count: 40, input: Gen.int(in: 1...4).array(of: 0...4),
                                Gen.float(in: -1e6...1e6).array(of: 256), Gen.int(in: 0...1_000)) { shape, pool, seed in
                let name = "d\(counter.next())"
                let values = Array(pool.prefix(shape.reduce(1, *)))
                let dataset = try file.createDataset(name, values: values, shape: shape)
                #expect(try dataset.shape() == shape)
                #expect(bytes(try file.openDataset(name).read(as: Float.self)) == bytes(values))
                // A hyperslab derived from the seed: start[i] in 0..<shape[i], count fits.
                let start = shape.enumerated().map { axis, extent in (seed / (axis + 1)) % extent }
                let count = shape.indices.map { axis in 1 + (seed / (axis + 2)) % (shape[axis] - start[axis]) }
                let block = try dataset.read(as: Float.self, start: start, count: count)
                #expect(bytes(block) == bytes(slice(values, shape: shape, start: start, count: count)))
            }
            try file.close()
        }
    }

    @Test("random shapes and Int64 values (full range) round-trip after reopening the file")
    func randomInt64Shapes() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("property-int64.h5").path
            let counter = Counter()
            await propertyCheck(count: 30, input: Gen.int(in: 0...4).array(of: 0...4), Gen.int64().array(of: 256)) {
                shape, pool in
                let name = "d\(counter.next())"
                let values = Array(pool.prefix(shape.reduce(1, *)))
                let writer = try HDF5File(path, mode: FileManager.default.fileExists(atPath: path) ? .readWrite : .exclusive)
                try writer.createDataset(name, values: values, shape: shape)
                try writer.close()
                let reader = try HDF5File(path)
                let dataset = try reader.openDataset(name)
                #expect(try dataset.shape() == shape)
                #expect(try dataset.read(as: Int64.self) == values)
                try reader.close()
            }
        }
    }
}

/// The row-major block `start ..< start + count` of `values` with `shape`, computed directly.
func slice<T>(_ values: [T], shape: [Int], start: [Int], count: [Int]) -> [T] {
    var strides = [Int](repeating: 1, count: shape.count)
    for axis in shape.indices.reversed().dropFirst() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
    var result: [T] = []
    var index = [Int](repeating: 0, count: shape.count)
    let total = count.reduce(1, *)
    for _ in 0..<total {
        let offset = shape.indices.reduce(0) { $0 + (start[$1] + index[$1]) * strides[$1] }
        result.append(values[offset])
        for axis in shape.indices.reversed() {
            index[axis] += 1
            if index[axis] < count[axis] { break }
            index[axis] = 0
        }
    }
    return result
}

/// Unique names inside a property check.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int { lock.withLock { value += 1; return value } }
}
