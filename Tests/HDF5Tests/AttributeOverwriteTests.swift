import Foundation
import HDF5
import Testing

/// `overwriteAttribute`: an existing single-valued attribute gets a new value in place.
@Suite("Attribute overwrite in place")
struct AttributeOverwriteTests {
    @Test("overwritten values read back after reopening, the attribute order and the file size stay the same")
    func overwriteRoundTripsAndKeepsTheHeader() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appendingPathComponent("overwrite.h5").path
            let file = try HDF5File(path, mode: .truncate)
            try file.setAttribute("first", "kept")
            try file.setAttribute("count", Int64(0))
            try file.setAttribute("done", false)
            try file.setAttribute("last", 2.5)
            try file.flush()
            let names = try file.attributeNames()
            for value in [Int64(7), 1 << 40, -3] {
                try file.overwriteAttribute("count", value)
                try file.flush()
                #expect(try file.attribute("count", as: Int64.self) == value)
            }
            try file.overwriteAttribute("done", true)
            #expect(try file.attributeNames() == names, "the attributes keep their order (no delete and re-create)")
            try file.close()
            let reopened = try HDF5File(path)
            #expect(try reopened.attribute("count", as: Int64.self) == -3)
            #expect(try reopened.attribute("done", as: Bool.self) == true)
            #expect(try reopened.stringAttribute("first") == "kept")
            #expect(try reopened.attribute("last", as: Double.self) == 2.5)
            try reopened.close()
        }
    }

    @Test("a missing attribute, another element type or an array is refused with a message")
    func mismatchesAreRefused() throws {
        try withTemporaryDirectory { directory throws in
            let file = try HDF5File(directory.appendingPathComponent("bad.h5").path, mode: .truncate)
            try file.setAttribute("count", Int64(1))
            try file.setAttribute("pair", [Int64(1), 2])
            do {
                try file.overwriteAttribute("missing", Int64(1))
                Issue.record("a missing attribute was overwritten")
            } catch {
                #expect("\(error)".contains("missing"), "\(error)")
            }
            do {
                try file.overwriteAttribute("count", Int32(1))
                Issue.record("an int64 attribute took an Int32")
            } catch let error as HDF5Error {
                #expect(error.kind == .typeMismatch && error.message.contains("use setAttribute"), "\(error)")
            }
            do {
                try file.overwriteAttribute("pair", Int64(1))
                Issue.record("an array attribute was overwritten with one value")
            } catch let error as HDF5Error {
                #expect(error.kind == .shapeMismatch && error.message.contains("single-valued"), "\(error)")
            }
            #expect(try file.attribute("count", as: Int64.self) == 1)
            try file.close()
        }
    }
}
