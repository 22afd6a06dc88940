import CLIProcess
import Foundation
import Testing

/// `consistency-td-bench --json` is read by `compare.py` and by anyone reproducing the README's table:
/// its keys are a format. Only the format is checked here, never a time (timing belongs in benchmarks).
@Suite("consistency-td-bench --json output")
struct ReferenceStepBenchmarkOutputTests {
    @Test("one JSON object per configuration with the keys of the issue, the pre-packed bound and 0 allocations per step")
    func jsonHasTheDocumentedKeys() throws {
        let folder = try CLI.temporaryFolder("bench-json")
        let child = try CLIChild(executable: try CLI.executable(named: "consistency-td-bench"),
                                 ["--D", "2", "--W", "32", "--B", "16,24", "--threads", "2,1", "--steps", "3", "--warmup", "1", "--json"],
                                 in: folder)
        let result = try child.wait(timeout: 300)
        #expect(result.status == 0, "\(result.standardError)")
        let objects = try result.standardOutput.split(whereSeparator: \.isNewline).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.count == 4)
        for (object, (threads, batch)) in zip(objects, [(2, 16), (2, 24), (1, 16), (1, 24)]) {
            #expect(object["D"] as? Int == 2 && object["W"] as? Int == 32 && object["B"] as? Int == batch && object["threads"] as? Int == threads)
            for key in ["median_ms", "sgemm_ms", "prepacked_ms", "fma_floor_ms"] {
                let value = try #require(object[key] as? Double, "\(key) missing in \(object)")
                #expect(value.isFinite && value > 0, "\(key) = \(value)")
            }
            #expect(object["allocations_per_step"] as? Double == 0)
            #expect(!((object["core"] as? String) ?? "").isEmpty)
        }
    }
}
