import CHDF5
import Foundation
import HDF5
import Testing

/// Files the wrapper never writes itself, made here through libhdf5's C API as another program (or
/// a damaged file) could: null dataspaces, big-endian data, bool bytes other than 0 and 1, extents
/// of 2⁶³ and more, hard links that make a group reachable twice. Each is read without garbage,
/// traps or endless loops.
@Suite("Files made through libhdf5's C API")
struct ForeignFileTests {
    /// Checks a C API return value (negative is failure).
    static func ok<N: BinaryInteger>(_ value: N, _ call: String) throws -> N {
        guard value >= 0 else {
            throw HDF5Error(.libraryCall, call: call, filePath: "", objectPath: "", message: "failed in the test's set-up")
        }
        return value
    }

    /// Creates the file at `path` with `H5Fcreate` (or opens it read-write with `H5Fopen` when
    /// `create` is false), runs `body` with its identifier, and closes it.
    static func withCFile(_ path: String, create: Bool = true, _ body: (hid_t) throws -> Void) throws {
        let file = try ok(create ? H5Fcreate(path, chdf5_f_acc_trunc(), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
                                 : H5Fopen(path, chdf5_f_acc_rdwr(), hid_t(H5P_DEFAULT)), "H5Fcreate")
        defer { H5Fclose(file) }
        try body(file)
    }

    /// The enum {FALSE = 0, TRUE = 1} over little-endian int8: h5py's bool.
    static func booleanType() throws -> hid_t {
        let type = try ok(H5Tenum_create(chdf5_std_i8le()), "H5Tenum_create")
        var falseValue: Int8 = 0, trueValue: Int8 = 1
        _ = try ok(H5Tenum_insert(type, "FALSE", &falseValue), "H5Tenum_insert")
        _ = try ok(H5Tenum_insert(type, "TRUE", &trueValue), "H5Tenum_insert")
        return type
    }

    @Test("a null-dataspace dataset (h5py's Empty) reads whole as [] and refuses hyperslab reads and writes instead of returning an uninitialised element")
    func nullDataspace() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("empty.h5").path
            try Self.withCFile(path) { file in
                let space = try Self.ok(H5Screate(H5S_NULL), "H5Screate")
                defer { H5Sclose(space) }
                let dataset = try Self.ok(H5Dcreate2(file, "empty", chdf5_ieee_f64le(), space, hid_t(H5P_DEFAULT),
                                                     hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), "H5Dcreate2")
                H5Dclose(dataset)
            }
            let file = try HDF5File(path, mode: .readWrite)
            let dataset = try file.openDataset("empty")
            #expect(try dataset.shape() == [] && dataset.elementCount() == 0)
            #expect(try dataset.read(as: Double.self) == [])
            try dataset.write([Double]())
            let read = expectHDF5Error { _ = try dataset.read(as: Double.self, start: [], count: []) }
            #expect(read?.kind == .shapeMismatch && read?.call == "H5Dread" && read?.objectPath == "/empty", "\(String(describing: read))")
            #expect(read?.message.contains("null dataspace") == true, "\(String(describing: read))")
            let write = expectHDF5Error { try dataset.write([1.0], start: [], count: []) }
            #expect(write?.kind == .shapeMismatch && write?.call == "H5Dwrite", "\(String(describing: write))")
            let whole = expectHDF5Error { try dataset.write([1.0]) }
            #expect(whole?.kind == .shapeMismatch)
            try file.close()
        }
    }

    @Test("bool bytes other than 0 and 1 throw invalidValue naming the object and the byte, through H5Dread, a hyperslab, a caller's buffer, the single-chunk path and H5Aread")
    func invalidBooleanBytes() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("bools.h5").path
            var stored: [UInt8] = [0, 1, 2, 1]
            try Self.withCFile(path) { file in
                let type = try Self.booleanType()
                defer { H5Tclose(type) }
                let space = try Self.ok(H5Screate_simple(1, [hsize_t(4)], nil), "H5Screate_simple")
                defer { H5Sclose(space) }
                let oneChunk = try Self.ok(H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate")
                defer { H5Pclose(oneChunk) }
                _ = try Self.ok(H5Pset_chunk(oneChunk, 1, [hsize_t(4)]), "H5Pset_chunk")
                for (name, creation) in [("contiguous", hid_t(H5P_DEFAULT)), ("one-chunk", oneChunk)] {
                    let dataset = try Self.ok(H5Dcreate2(file, name, type, space, hid_t(H5P_DEFAULT), creation,
                                                         hid_t(H5P_DEFAULT)), "H5Dcreate2")
                    // The enum type as memory type too: the bytes are stored as they are.
                    _ = try Self.ok(H5Dwrite(dataset, type, chdf5_s_all(), chdf5_s_all(), hid_t(H5P_DEFAULT), &stored), "H5Dwrite")
                    H5Dclose(dataset)
                }
                let attribute = try Self.ok(H5Acreate2(file, "flags", type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
                                            "H5Acreate2")
                _ = try Self.ok(H5Awrite(attribute, type, &stored), "H5Awrite")
                H5Aclose(attribute)
            }
            let file = try HDF5File(path)
            for name in ["contiguous", "one-chunk"] {
                let dataset = try file.openDataset(name)
                #expect(try dataset.elementType() == .bool)
                let whole = expectHDF5Error { _ = try dataset.read(as: Bool.self) }
                #expect(whole?.kind == .invalidValue && whole?.objectPath == "/\(name)", "\(String(describing: whole))")
                #expect(whole?.message.contains("element 2 holds the byte 2") == true, "\(String(describing: whole))")
                let block = expectHDF5Error { _ = try dataset.read(as: Bool.self, start: [1], count: [2]) }
                #expect(block?.kind == .invalidValue && block?.message.contains("element 1 holds the byte 2") == true,
                        "\(String(describing: block))")
                #expect(try dataset.read(as: Bool.self, start: [0], count: [2]) == [false, true])
                var buffer = [Bool](repeating: true, count: 4)
                let into = expectHDF5Error { try buffer.withUnsafeMutableBufferPointer { try dataset.read(into: $0) } }
                #expect(into?.kind == .invalidValue)
                #expect(buffer == [false, false, false, false], "no invalid Bool is left in the caller's buffer")
            }
            let attribute = expectHDF5Error { _ = try file.attributeArray("flags", as: Bool.self) }
            #expect(attribute?.kind == .invalidValue && attribute?.objectPath == "/@flags", "\(String(describing: attribute))")
            try file.close()
        }
    }

    @Test("a big-endian float32 dataset refuses little-endian encoded rows (stored byte-swapped otherwise) and still takes append(_:)")
    func bigEndianRefusesEncodedRows() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("big-endian.h5").path
            try Self.withCFile(path) { file in
                let type = try Self.ok(H5Tcopy(chdf5_ieee_f32le()), "H5Tcopy")
                defer { H5Tclose(type) }
                _ = try Self.ok(H5Tset_order(type, H5T_ORDER_BE), "H5Tset_order")
                let space = try Self.ok(H5Screate_simple(2, [hsize_t(0), 3], [chdf5_s_unlimited(), 3]), "H5Screate_simple")
                defer { H5Sclose(space) }
                let creation = try Self.ok(H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate")
                defer { H5Pclose(creation) }
                _ = try Self.ok(H5Pset_chunk(creation, 2, [hsize_t(4), 3]), "H5Pset_chunk")
                let dataset = try Self.ok(H5Dcreate2(file, "rows", type, space, hid_t(H5P_DEFAULT), creation,
                                                     hid_t(H5P_DEFAULT)), "H5Dcreate2")
                H5Dclose(dataset)
            }
            let file = try HDF5File(path, mode: .readWrite)
            let dataset = try file.openDataset("rows")
            #expect(try dataset.elementType() == .float32)
            #expect(try dataset.chunkCodec(for: Float.self) == nil, "the stored bytes are not Float's")
            let values = (0..<12).map { Float($0) + 0.5 }
            let codec = HDF5ChunkCodec(chunkShape: [4, 3], elementType: .float32, elementSize: 4, shuffle: false,
                                       deflate: nil, fletcher32: false)
            let rows = try HDF5RowBlock(values, codec: codec).encoded()
            let error = expectHDF5Error { try dataset.appendEncodedRows(rows) }
            #expect(error?.kind == .typeMismatch && error?.objectPath == "/rows", "\(String(describing: error))")
            #expect(error?.message.contains("byte order") == true, "\(String(describing: error))")
            #expect(try dataset.shape() == [0, 3], "a refused append changes nothing")
            try dataset.append(values)
            #expect(try dataset.read(as: Float.self) == values)
            try file.close()
        }
    }

    @Test("a maximum extent of 2⁶³ (more than Int holds) throws invalidValue naming the object instead of trapping")
    func extentBeyondInt() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("beyond-int.h5").path
            try Self.withCFile(path) { file in
                // libhdf5 refuses to create a current extent this large; a maximum extent it takes.
                let space = try Self.ok(H5Screate_simple(1, [hsize_t(4)], [hsize_t(1) << 63]), "H5Screate_simple")
                defer { H5Sclose(space) }
                let creation = try Self.ok(H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate")
                defer { H5Pclose(creation) }
                _ = try Self.ok(H5Pset_chunk(creation, 1, [hsize_t(1024)]), "H5Pset_chunk")
                let dataset = try Self.ok(H5Dcreate2(file, "vast", chdf5_ieee_f32le(), space, hid_t(H5P_DEFAULT), creation,
                                                     hid_t(H5P_DEFAULT)), "H5Dcreate2")
                H5Dclose(dataset)
            }
            let file = try HDF5File(path)
            let error = expectHDF5Error { _ = try file.openDataset("vast").maxShape() }
            #expect(error?.kind == .invalidValue && error?.objectPath == "/vast", "\(String(describing: error))")
            #expect(error?.message.contains("9223372036854775808") == true, "\(String(describing: error))")
            try file.close()
        }
    }
}
