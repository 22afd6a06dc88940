import Foundation
import HDF5
import Testing

@Suite("Errors are thrown, readable, and name the call, the file and the object")
struct ErrorTests {
    @Test("exclusive creation of an existing file throws; of a new file succeeds")
    func exclusiveCreate() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("exclusive.h5").path
            let first = try HDF5File(path, mode: .exclusive)
            try first.setAttribute("keep", Int64(1))
            try first.close()
            let error = expectHDF5Error { _ = try HDF5File(path, mode: .exclusive) }
            #expect(error?.kind == .libraryCall)
            #expect(error?.call == "H5Fcreate")
            #expect(error?.filePath == path)
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("already exists") == true)
            #expect(error?.stack.isEmpty == false)
            // The existing file is untouched.
            #expect(try HDF5File(path).attribute("keep", as: Int64.self) == 1)
        }
    }

    @Test("opening a missing file names the path")
    func missingFile() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("nowhere.h5").path
            for mode in [HDF5File.Mode.readOnly, .readWrite] {
                let error = expectHDF5Error { _ = try HDF5File(path, mode: mode) }
                #expect(error?.kind == .fileNotFound)
                #expect(error?.description.contains(path) == true)
                #expect(error?.description.contains("no such file") == true)
            }
            let inMissingFolder = expectHDF5Error {
                _ = try HDF5File(directory.appendingPathComponent("missing/x.h5").path, mode: .truncate)
            }
            #expect(inMissingFolder?.call == "H5Fcreate")
            #expect(inMissingFolder?.description.contains("missing/x.h5") == true)
        }
    }

    @Test("an empty file and a text file are not HDF5, and the error says so with the path")
    func foreignFiles() throws {
        try withTemporaryDirectory { directory throws in
            let empty = directory.appendingPathComponent("empty.h5").path
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            let emptyError = expectHDF5Error { _ = try HDF5File(empty) }
            #expect(emptyError?.kind == .notAnHDF5File)
            #expect(emptyError?.description.contains(empty) == true)
            #expect(emptyError?.description.contains("empty") == true)

            let text = directory.appendingPathComponent("notes.h5").path
            _ = FileManager.default.createFile(atPath: text, contents: Data("step,loss\n1,0.5\n".utf8))
            let textError = expectHDF5Error { _ = try HDF5File(text, mode: .readWrite) }
            #expect(textError?.kind == .notAnHDF5File)
            #expect(textError?.call == "H5Fis_hdf5")
            #expect(textError?.description.contains(text) == true)
            #expect(try HDF5File.isHDF5(text) == false)

            let folderError = expectHDF5Error { _ = try HDF5File(directory.path) }
            #expect(folderError?.kind == .notAnHDF5File)
        }
    }

    @Test("a truncated HDF5 file throws a libhdf5 error with its stack and the path")
    func truncatedFile() throws {
        try withTemporaryDirectory { directory throws in
            let whole = directory.appendingPathComponent("whole.h5").path
            let file = try HDF5File(whole, mode: .truncate)
            try file.createDataset("x", values: SampleValues.float(50_000))
            try file.setAttribute("note", "written before truncation")
            try file.close()
            let data = try Data(contentsOf: URL(fileURLWithPath: whole))
            let truncated = directory.appendingPathComponent("truncated.h5").path
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: truncated))
            #expect(try HDF5File.isHDF5(truncated))

            let error = expectHDF5Error {
                let damaged = try HDF5File(truncated)
                _ = try damaged.openDataset("x").read(as: Float.self)
            }
            #expect(error?.kind == .libraryCall)
            #expect(error?.filePath == truncated)
            #expect(error?.description.contains(truncated) == true)
            #expect(error?.stack.isEmpty == false)
            #expect(error?.stackText.contains("truncated") == true, "\(String(describing: error))")
        }
    }

    @Test("a missing dataset or group names the call, the file and the absolute object path")
    func missingObjects() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("objects.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let group = try file.createGroup("parameters")
            let error = expectHDF5Error { _ = try group.openDataset("blocks.0/weight") }
            #expect(error?.kind == .libraryCall)
            #expect(error?.call == "H5Dopen2")
            #expect(error?.filePath == path)
            #expect(error?.objectPath == "/parameters/blocks.0/weight")
            #expect(error?.description.contains("H5Dopen2") == true)
            #expect(error?.description.contains("/parameters/blocks.0/weight") == true)
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("libhdf5 error stack") == true)
            #expect(error?.stack.first?.function == "H5Dopen2")
            #expect(error?.stack.contains { !$0.major.isEmpty && !$0.minor.isEmpty } == true)

            let missingGroup = expectHDF5Error { _ = try file.openGroup("/optimizer/adam") }
            #expect(missingGroup?.call == "H5Gopen2")
            #expect(missingGroup?.objectPath == "/optimizer/adam")
        }
    }

    @Test("reading with the wrong Swift element type names the stored type")
    func wrongElementType() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("types.h5").path, mode: .truncate)
            try file.createDataset("weights", values: [Float](repeating: 1, count: 4))
            try file.createDataset("done", values: [true, false])
            let asInt = expectHDF5Error { _ = try file.openDataset("weights").read(as: Int32.self) }
            #expect(asInt?.kind == .typeMismatch)
            #expect(asInt?.call == "H5Dread")
            #expect(asInt?.objectPath == "/weights")
            #expect(asInt?.description.contains("stores float32") == true, "\(String(describing: asInt))")
            let asDouble = expectHDF5Error { _ = try file.openDataset("weights").read(as: Double.self) }
            #expect(asDouble?.description.contains("float32") == true)
            let boolAsBytes = expectHDF5Error { _ = try file.openDataset("done").read(as: UInt8.self) }
            #expect(boolAsBytes?.description.contains("stores bool") == true)
            let writeWrong = expectHDF5Error { try file.openDataset("weights").write([Double](repeating: 0, count: 4)) }
            #expect(writeWrong?.kind == .typeMismatch)
            #expect(try file.openDataset("weights").read(as: Float.self) == [1, 1, 1, 1])
        }
    }

    @Test("writing a number of values different from the dataspace size throws and writes nothing")
    func shapeMismatchOnWrite() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("shapes.h5").path, mode: .truncate)
            let dataset = try file.createDataset("m", of: Float.self, shape: [2, 3])
            let tooFew = expectHDF5Error { try dataset.write([Float](repeating: 1, count: 5)) }
            #expect(tooFew?.kind == .shapeMismatch)
            #expect(tooFew?.description.contains("[2, 3]") == true)
            #expect(tooFew?.description.contains("/m") == true)
            #expect(try dataset.read(as: Float.self) == [Float](repeating: 0, count: 6))
            let create = expectHDF5Error { try file.createDataset("n", values: [Float](repeating: 1, count: 7), shape: [2, 3]) }
            #expect(create?.kind == .shapeMismatch)
            #expect(try !file.contains("n"))
            let negative = expectHDF5Error { _ = try file.createDataset("k", of: Float.self, shape: [-1]) }
            #expect(negative?.kind == .invalidArgument)
        }
    }

    @Test("a shape whose element count overflows Int, and a hyperslab whose end does, throw instead of trapping")
    func overflowingShapesThrow() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("overflow.h5").path, mode: .truncate)
            let huge = [1 << 32, 1 << 32]  // 2⁶⁴ elements
            let create = expectHDF5Error { _ = try file.createDataset("huge", of: Double.self, shape: huge) }
            #expect(create?.kind == .invalidArgument && create?.objectPath == "/huge", "\(String(describing: create))")
            #expect(create?.message.contains("shape [4294967296, 4294967296]") == true, "\(String(describing: create))")
            let createWithValues = expectHDF5Error { try file.createDataset("huge", values: [Double](), shape: huge) }
            #expect(createWithValues?.kind == .invalidArgument, "\(String(describing: createWithValues))")
            let attribute = expectHDF5Error { try file.setAttribute("huge", [Double](), shape: huge) }
            #expect(attribute?.kind == .invalidArgument && attribute?.objectPath == "/@huge", "\(String(describing: attribute))")
            #expect(try !file.contains("huge") && !file.hasAttribute("huge"))

            let dataset = try file.createDataset("x", values: [1.0, 2.0])
            let read = expectHDF5Error { _ = try dataset.read(as: Double.self, start: [Int.max], count: [1]) }
            #expect(read?.kind == .shapeMismatch && read?.objectPath == "/x", "\(String(describing: read))")
            #expect(read?.message.contains("start [\(Int.max)] count [1]") == true, "\(String(describing: read))")
            let write = expectHDF5Error { try dataset.write([5.0], start: [Int.max], count: [1]) }
            #expect(write?.kind == .shapeMismatch, "\(String(describing: write))")
            #expect(try dataset.read(as: Double.self) == [1.0, 2.0])
        }
    }

    @Test("writing through a read-only file throws libhdf5's error")
    func readOnlyFile() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("read-only.h5").path
            try HDF5File(path, mode: .truncate).close()
            let file = try HDF5File(path)
            let error = expectHDF5Error { _ = try file.createGroup("g") }
            #expect(error?.call == "H5Gcreate2")
            #expect(error?.objectPath == "/g")
            #expect(error?.stack.isEmpty == false)
        }
    }
}
