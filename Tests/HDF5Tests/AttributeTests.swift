import Foundation
import HDF5
import Testing

/// Sets a scalar, a 1-D array and a 2-D array attribute of `T` on the root, a group and a dataset,
/// reopens the file and checks values, shapes and element types.
func checkAttributes<T: HDF5Scalar>(_ values: [T]) throws {
    precondition(values.count == 6)
    try withTemporaryDirectory { directory throws in
        let path = directory.appendingPathComponent("attributes.h5").path
        let file = try HDF5File(path, mode: .truncate)
        let group = try file.createGroup("g")
        let dataset = try group.createDataset("d", values: [Float(1)])
        let owners: [any HDF5AttributeOwner] = [file, group, dataset]
        for owner in owners {
            try owner.setAttribute("scalar", values[0])
            try owner.setAttribute("vector", values)
            try owner.setAttribute("matrix", values, shape: [2, 3])
        }
        try file.close()

        let reopened = try HDF5File(path)
        let reopenedOwners: [any HDF5AttributeOwner] = [reopened, try reopened.openGroup("g"), try reopened.openDataset("g/d")]
        for owner in reopenedOwners {
            #expect(bytes([try owner.attribute("scalar", as: T.self)]) == bytes([values[0]]), "\(owner.objectPath)")
            #expect(bytes(try owner.attributeArray("vector", as: T.self)) == bytes(values))
            #expect(bytes(try owner.attributeArray("matrix", as: T.self)) == bytes(values))
            #expect(try owner.openAttribute("scalar").shape() == [])
            #expect(try owner.openAttribute("vector").shape() == [6])
            #expect(try owner.openAttribute("matrix").shape() == [2, 3])
            #expect(try owner.openAttribute("matrix").elementType() == T.elementType)
            #expect(try owner.attributeNames() == ["matrix", "scalar", "vector"])
        }
        try reopened.close()
    }
}

@Suite("Attributes")
struct AttributeTests {
    @Test("scalar, 1-D and 2-D numeric attributes of every type round-trip on files, groups and datasets",
          arguments: ElementCase.allCases)
    func numericAttributes(_ element: ElementCase) throws {
        switch element {
        case .float: try checkAttributes(SampleValues.float(6))
        case .double: try checkAttributes(SampleValues.double(6))
        case .int8: try checkAttributes(SampleValues.integer(6, as: Int8.self))
        case .int16: try checkAttributes(SampleValues.integer(6, as: Int16.self))
        case .int32: try checkAttributes(SampleValues.integer(6, as: Int32.self))
        case .int64: try checkAttributes(SampleValues.integer(6, as: Int64.self))
        case .int: try checkAttributes(SampleValues.integer(6, as: Int.self))
        case .uint8: try checkAttributes(SampleValues.integer(6, as: UInt8.self))
        case .uint16: try checkAttributes(SampleValues.integer(6, as: UInt16.self))
        case .uint32: try checkAttributes(SampleValues.integer(6, as: UInt32.self))
        case .uint64: try checkAttributes(SampleValues.integer(6, as: UInt64.self))
        case .bool: try checkAttributes(SampleValues.bool(6))
        }
    }

    @Test("UTF-8 string attributes, including non-ASCII and empty strings, read back unchanged")
    func stringAttributes() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("strings.h5").path
            let long = String(repeating: "ab", count: 5_000)
            let file = try HDF5File(path, mode: .truncate)
            try file.setAttribute("sigma", "σ_d = ½")
            try file.setAttribute("empty", "")
            try file.setAttribute("long", long)
            try file.setAttribute("config", #"{"lr": 0.001, "name": "ünïcødé ✓ 🚀"}"#)
            try file.setAttribute("names", ["alpha", "β", "", "γδ"])
            try file.close()

            let reopened = try HDF5File(path)
            #expect(try reopened.stringAttribute("sigma") == "σ_d = ½")
            #expect(try reopened.stringAttribute("empty") == "")
            #expect(try reopened.stringAttribute("long") == long)
            #expect(try reopened.stringAttribute("config") == #"{"lr": 0.001, "name": "ünïcødé ✓ 🚀"}"#)
            #expect(try reopened.stringArrayAttribute("names") == ["alpha", "β", "", "γδ"])
            #expect(try reopened.openAttribute("sigma").elementType() == .variableLengthUTF8String)
            #expect(try reopened.openAttribute("sigma").shape() == [])
        }
    }

    @Test("setting an attribute again replaces it, even with another type; delete removes it")
    func replaceAndDelete() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("replace.h5").path, mode: .truncate)
            try file.setAttribute("step", Int64(1))
            try file.setAttribute("step", Int64(2))
            #expect(try file.attribute("step", as: Int64.self) == 2)
            try file.setAttribute("step", "two")
            #expect(try file.stringAttribute("step") == "two")
            #expect(try file.hasAttribute("step"))
            try file.deleteAttribute("step")
            #expect(try !file.hasAttribute("step"))
            #expect(try file.attributeNames().isEmpty)
            let error = expectHDF5Error { try file.deleteAttribute("step") }
            #expect(error?.call == "H5Adelete")
            #expect(error?.objectPath == "/@step")
        }
    }

    @Test("a replacement that fails (negative extents, too large for the object header, a NUL in a string) throws and leaves the old attribute readable")
    func failedReplacementKeepsOldAttribute() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("replace-fails.h5").path
            let file = try HDF5File(path, mode: .truncate)
            let group = try file.createGroup("g")
            try group.setAttribute("a", [1.0, 2.0])
            try group.setAttribute("s", "old")

            // ∏ [-1, -1] = 1 matches the one value, but the extents are negative.
            let negative = expectHDF5Error { try group.setAttribute("a", [1.0], shape: [-1, -1]) }
            #expect(negative?.kind == .invalidArgument && negative?.objectPath == "/g@a", "\(String(describing: negative))")
            #expect(negative?.message.contains("[-1, -1]") == true, "\(String(describing: negative))")
            #expect(try group.attributeArray("a", as: Double.self) == [1.0, 2.0])

            // 80 KB: more than an attribute message of the default file format holds (64 KB).
            let large = expectHDF5Error { try group.setAttribute("a", [Double](repeating: 3, count: 10_000)) }
            #expect(large?.kind == .libraryCall && large?.call == "H5Acreate2", "\(String(describing: large))")
            #expect(try group.attributeArray("a", as: Double.self) == [1.0, 2.0])

            let nul = expectHDF5Error { try group.setAttribute("s", "a\u{0}b") }
            #expect(nul?.kind == .invalidArgument && nul?.objectPath == "/g@s", "\(String(describing: nul))")
            #expect(try group.stringAttribute("s") == "old")
            let nulInNew = expectHDF5Error { try group.setAttribute("t", ["x", "a\u{0}b"]) }
            #expect(nulInNew?.kind == .invalidArgument)

            // A replacement that works still replaces, and no temporary attribute is left anywhere.
            try group.setAttribute("s", "new")
            #expect(try group.stringAttribute("s") == "new")
            #expect(try group.attributeNames() == ["a", "s"])
            try file.close()

            let reader = try HDF5File(path)
            #expect(try reader.openGroup("g").attributeArray("a", as: Double.self) == [1.0, 2.0])
            #expect(try reader.openGroup("g").stringAttribute("s") == "new")
            #expect(try reader.openGroup("g").attributeNames() == ["a", "s"])
            try reader.close()
        }
    }

    @Test("reading an attribute as the wrong type or shape throws a readable error")
    func attributeMismatches() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("mismatch.h5").path
            let file = try HDF5File(path, mode: .truncate)
            try file.setAttribute("grid", [0.5, 0.25])
            try file.setAttribute("name", "x")
            let wrongType = expectHDF5Error { _ = try file.attribute("grid", as: Float.self) }
            #expect(wrongType?.kind == .typeMismatch)
            #expect(wrongType?.description.contains("float64") == true)
            #expect(wrongType?.description.contains(path) == true)
            let notScalar = expectHDF5Error { _ = try file.attribute("grid", as: Double.self) }
            #expect(notScalar?.kind == .shapeMismatch)
            let notString = expectHDF5Error { _ = try file.stringAttribute("grid") }
            #expect(notString?.kind == .typeMismatch)
            let stringAsNumber = expectHDF5Error { _ = try file.attribute("name", as: Int64.self) }
            #expect(stringAsNumber?.description.contains("string") == true)
            let missing = expectHDF5Error { _ = try file.stringAttribute("absent") }
            #expect(missing?.call == "H5Aopen")
            #expect(missing?.objectPath == "/@absent")
            #expect(missing?.stack.isEmpty == false)
            let badShape = expectHDF5Error { try file.setAttribute("m", [1, 2, 3], shape: [2, 2]) }
            #expect(badShape?.kind == .shapeMismatch)
        }
    }

    @Test("string datasets of rank 0, 1 and 2 round-trip, non-ASCII included")
    func stringDatasets() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("string-datasets.h5").path
            let file = try HDF5File(path, mode: .truncate)
            try file.createStringDataset("scalar", strings: ["σ_d = ½"], shape: [])
            try file.createStringDataset("names", strings: ["td0", "nstep-4", "", "score-identity ✓"])
            try file.createStringDataset("grid", strings: ["a", "b", "c", "d", "e", "f"], shape: [2, 3])
            try file.createStringDataset("none", strings: [])
            try file.close()

            let reopened = try HDF5File(path)
            #expect(try reopened.openDataset("scalar").readStrings() == ["σ_d = ½"])
            #expect(try reopened.openDataset("scalar").shape() == [])
            #expect(try reopened.openDataset("names").readStrings() == ["td0", "nstep-4", "", "score-identity ✓"])
            #expect(try reopened.openDataset("grid").shape() == [2, 3])
            #expect(try reopened.openDataset("grid").readStrings() == ["a", "b", "c", "d", "e", "f"])
            #expect(try reopened.openDataset("grid").elementType() == .variableLengthUTF8String)
            #expect(try reopened.openDataset("none").readStrings() == [])
            let asNumbers = expectHDF5Error { _ = try reopened.openDataset("names").read(as: Float.self) }
            #expect(asNumbers?.kind == .typeMismatch)
        }
    }

    @Test("strings with a NUL character are refused instead of being cut")
    func nulCharactersAreRefused() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("nul.h5").path, mode: .truncate)
            let error = expectHDF5Error { try file.setAttribute("bad", "a\u{0}b") }
            #expect(error?.kind == .invalidArgument)
        }
    }
}
