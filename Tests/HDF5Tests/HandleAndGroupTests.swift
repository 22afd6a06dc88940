import Foundation
import HDF5
import Testing

@Suite("Handles: one owner, idempotent close, no use after close")
struct HandleTests {
    @Test("close() is idempotent for files, groups, datasets, attributes, dataspaces and datatypes")
    func closeIsIdempotent() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("close.h5").path, mode: .truncate)
            let group = try file.createGroup("g")
            let dataset = try group.createDataset("d", values: [Float(1), 2])
            try dataset.setAttribute("a", Int32(3))
            let attribute = try dataset.openAttribute("a")
            let space = try dataset.dataspace()
            let type = try dataset.datatype()
            let objects: [any HDF5Object] = [attribute, space, type, dataset, group, file]
            for object in objects {
                #expect(object.isOpen)
                try object.close()
                try object.close()
                #expect(!object.isOpen)
            }
        }
    }

    @Test("using a closed handle throws a closed-handle error instead of crashing")
    func closedHandlesThrow() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("closed.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let dataset = try file.createDataset("d", values: [Float(1), 2])
            try dataset.close()
            let read = expectHDF5Error { _ = try dataset.read(as: Float.self) }
            #expect(read?.kind == .closedHandle)
            #expect(read?.objectPath == "/d")
            #expect(read?.description.contains(path) == true)
            let shape = expectHDF5Error { _ = try dataset.shape() }
            #expect(shape?.kind == .closedHandle)
            try file.close()
            let group = expectHDF5Error { _ = try file.createGroup("g") }
            #expect(group?.kind == .closedHandle)
            let attribute = expectHDF5Error { try file.setAttribute("x", 1.0) }
            #expect(attribute?.kind == .closedHandle)
        }
    }

    @Test("closing a file closes the objects opened from it; they then throw, and closing them is harmless")
    func closingTheFileClosesItsObjects() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("strong.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let group = try file.createGroup("g")
            let dataset = try group.createDataset("d", values: [Int64(5)])
            try file.close()
            #expect(!group.isOpen)
            #expect(!dataset.isOpen)
            let error = expectHDF5Error { _ = try dataset.read(as: Int64.self) }
            #expect(error?.kind == .closedHandle)
            #expect(error?.description.contains("file this dataset belongs to was closed") == true)
            try dataset.close()
            try group.close()
            // The file really is closed: it can be opened again and holds the data.
            #expect(try HDF5File(path).openDataset("g/d").read(as: Int64.self) == [5])
        }
    }

    @Test("an object keeps its file open after the file value is gone")
    func objectsKeepTheirFileAlive() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("alive.h5").path
            try HDF5File(path, mode: .truncate).createDataset("d", values: [UInt64.max, 0])
            let dataset = try HDF5File(path).openDataset("d")
            #expect(try dataset.read(as: UInt64.self) == [UInt64.max, 0])
            #expect(dataset.file.isOpen)
        }
    }

    @Test("libhdf5 is the thread-safe 1.10 build, and error printing is off on every thread the wrapper uses")
    func threadSafetyAndSilencedPrinting() async throws {
        #expect(try HDF5Library.isThreadSafe)
        #expect(HDF5Library.version.hasPrefix("1."))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hdf5-thread-\(UUID()).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A fresh thread: a failing call must not print, and the switch must be off there.
        let silenced: Bool = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    _ = try? HDF5File(path + ".missing-folder/x.h5", mode: .truncate)  // H5Fcreate fails
                    continuation.resume(returning: try HDF5Library.isErrorPrintingSilencedOnCurrentThread)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
        #expect(silenced)
        // Concurrent writers and readers of different files from many tasks.
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<8 {
                tasks.addTask {
                    let file = try HDF5File("\(path).\(index)", mode: .truncate)
                    defer { try? FileManager.default.removeItem(atPath: "\(path).\(index)") }
                    let values = (0..<1_000).map { Double($0 * index) }
                    try file.createDataset("x", values: values)
                    #expect(try file.openDataset("x").read(as: Double.self) == values)
                    let missing = expectHDF5Error { _ = try file.openDataset("missing") }
                    #expect(missing?.stack.isEmpty == false)
                    try file.close()
                }
            }
            try await tasks.waitForAll()
        }
    }
}

@Suite("Groups, paths and members")
struct GroupTests {
    @Test("nested paths need intermediate groups unless asked to create them")
    func nestedPaths() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("groups.h5").path, mode: .truncate)
            let refused = expectHDF5Error { _ = try file.createGroup("a/b/c") }
            #expect(refused?.call == "H5Gcreate2")
            #expect(refused?.objectPath == "/a/b/c")
            let c = try file.createGroup("a/b/c", createIntermediateGroups: true)
            #expect(c.objectPath == "/a/b/c")
            #expect(try file.contains("a/b/c"))
            #expect(try file.contains("/a/b"))
            #expect(try !file.contains("a/x/y"))
            #expect(try !file.contains("a/b/c/d"))
            let b = try file.openGroup("a").openGroup("b")
            #expect(b.objectPath == "/a/b")
            #expect(try b.openGroup("c").objectPath == "/a/b/c")
            let weight = try b.createDataset("blocks.0/weight", values: [Float(1)], createIntermediateGroups: true)
            #expect(weight.objectPath == "/a/b/blocks.0/weight")
            #expect(try file.openDataset("/a/b/blocks.0/weight").read(as: Float.self) == [1])
            #expect(try !file.contains("a/b/blocks.0/weight/x"))
            #expect(try file.requireGroup("a/b").objectPath == "/a/b")
            #expect(try file.requireGroup("optimizer/adam/m").objectPath == "/optimizer/adam/m")
            #expect(try file.contains("optimizer/adam/m"))
        }
    }

    @Test("members lists names in order with whether each is a group or a dataset")
    func members() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("members.h5").path, mode: .truncate)
            try file.createDataset("times", values: [1.0, 0.5])
            _ = try file.createGroup("values")
            try file.createStringDataset("names", strings: ["a"])
            _ = try file.createGroup("ema")
            #expect(try file.members() == [
                HDF5Member(name: "ema", kind: .group, link: .hard),
                HDF5Member(name: "names", kind: .dataset, link: .hard),
                HDF5Member(name: "times", kind: .dataset, link: .hard),
                HDF5Member(name: "values", kind: .group, link: .hard),
            ])
            #expect(try file.openGroup("values").members().isEmpty)
            try file.delete("times")
            #expect(try file.members().map(\.name) == ["ema", "names", "values"])
        }
    }

    @Test("after flush a byte copy of the still-open file is a complete HDF5 file")
    func flushWritesEverything() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("live.h5").path
            let copy = directory.appendingPathComponent("copy.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let values = SampleValues.double(10_000)
            try file.createDataset("scalars/loss", values: values, createIntermediateGroups: true)
            try file.setAttribute("format", "consistency-td.metrics")
            try file.flush()
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let snapshot = try HDF5File(copy)
            #expect(bytes(try snapshot.openDataset("scalars/loss").read(as: Double.self)) == bytes(values))
            #expect(try snapshot.stringAttribute("format") == "consistency-td.metrics")
            try file.close()
        }
    }
}
