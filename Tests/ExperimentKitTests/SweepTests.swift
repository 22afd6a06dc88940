import ExperimentKit
import Foundation
import HDF5
import Synchronization
import Testing

@Suite("Sweeps: Cartesian expansion, run folders and the merge")
struct SweepTests {
    func sweep() throws -> SweepSpecification {
        try SweepSpecification(
            name: "grid", base: ConfigurationDocument(text: "method: ect\ntraining: {steps: 100}", source: "base.yaml"),
            axes: [try .init(key: "training.learning_rate", values: ["1e-4", "3e-4", "1e-3"]),
                   try .init(key: "network.width", values: ["64", "128"])])
    }

    @Test("runs are the Cartesian product, axes sorted by key, the last axis fastest, with stable names")
    func cartesianExpansion() throws {
        let runs = try sweep().runs()
        #expect(runs.count == 6)
        #expect(runs.map(\.name) == ["grid-0", "grid-1", "grid-2", "grid-3", "grid-4", "grid-5"])
        let pairs = runs.map { ($0.configuration.network.width, $0.configuration.training.learningRate) }
        let expected: [(Int, Double)] = [(64, 1e-4), (64, 3e-4), (64, 1e-3), (128, 1e-4), (128, 3e-4), (128, 1e-3)]
        #expect(pairs.elementsEqual(expected) { $0 == $1 })
        #expect(try sweep().run(4) == runs[4])
    }

    @Test("a sweep file with an inline config expands like the same sweep built in code")
    func sweepFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/sweep.yaml"
            try """
                name: grid
                config: {method: ect, training: {steps: 100}}
                axes:
                  training.learning_rate: [1e-4, 3e-4, 1e-3]
                  network.width: [64, 128]
                """.write(toFile: path, atomically: true, encoding: .utf8)
            let fromFile = try SweepSpecification(contentsOfFile: path)
            #expect(try fromFile.runs().map(\.configuration) == sweep().runs().map(\.configuration))
        }
    }

    @Test("a sweep with an invalid value fails when expanded, naming the key")
    func invalidSweepValue() throws {
        let bad = try SweepSpecification(name: "bad", base: ConfigurationDocument(text: "method: ect", source: "base"),
                                         axes: [try .init(key: "network.width", values: ["64", "-1"])])
        #expect(throws: ConfigurationError.invalidValue(key: "network.width", value: "-1", expected: "an integer ≥ 1")) { try bad.runs() }
    }

    /// Runs every shard's runs into its own folder tree, writing a summary whose values depend on the run.
    func runSharded(_ sweep: SweepSpecification, shards: Int, into root: String) throws {
        for shardIndex in 0..<shards {
            let shard = try SweepShard(index: shardIndex, count: shards)
            for index in shard.runIndices(of: sweep.runCount) {
                let run = try sweep.run(index)
                let values = ["loss": run.configuration.training.learningRate * Double(run.configuration.network.width),
                              "width": Double(run.configuration.network.width)]
                try RunSummary(run: run, values: index == 2 ? values.merging(["nll": 1.5]) { $1 } : values)
                    .write(toFolder: "\(root)/shard\(shardIndex)/\(run.name)")
            }
        }
    }

    @Test("merging sharded runs gives the same table, CSV, Markdown and HDF5 as merging the serial sweep",
          arguments: [2, 3, 4, 6, 7])
    func shardedMergeEqualsSerial(shards: Int) throws {
        try withTemporaryDirectory { directory in
            let sweep = try sweep()
            try runSharded(sweep, shards: 1, into: directory + "/serial")
            try runSharded(sweep, shards: shards, into: directory + "/sharded")
            let serial = try SweepTable.collect(under: [directory + "/serial"])
            let sharded = try SweepTable.collect(under: (0..<shards).map { "\(directory)/sharded/shard\($0)" })
            #expect(sharded == serial)
            #expect(serial.rows.map(\.index) == Array(0..<6))
            #expect(serial.missingRuns(of: 6).isEmpty)
            let serialPaths = try serial.write(toFolder: directory + "/out-serial")
            let shardedPaths = try sharded.write(toFolder: directory + "/out-sharded")
            for (a, b) in zip(serialPaths, shardedPaths).dropFirst() {
                #expect(try String(contentsOfFile: a, encoding: .utf8) == String(contentsOfFile: b, encoding: .utf8))
            }
            let file = try HDF5File(shardedPaths[0])
            #expect(try file.openDataset("index").read(as: Int64.self) == Array(0..<6))
            #expect(try file.openDataset("run").readStrings() == (0..<6).map { "grid-\($0)" })
            #expect(try file.openDataset("parameters/network.width").readStrings() == ["64", "64", "64", "128", "128", "128"])
            let widths = try file.openDataset("values/width").read(as: Double.self)
            #expect(widths == [64, 64, 64, 128, 128, 128])
            let nll = try file.openDataset("values/nll").read(as: Double.self)
            #expect(nll[2] == 1.5)
            #expect(nll.indices.filter { $0 != 2 }.allSatisfy { nll[$0].isNaN }, "a result a run lacks is NaN")
        }
    }

    @Test("result names with slashes (train/loss, train/curriculum/x) are nested groups under /values in the HDF5 table")
    func slashedResultNamesNest() throws {
        try withTemporaryDirectory { directory in
            let table = try SweepTable(summaries: [
                RunSummary(index: 0, run: "s-0", parameters: ["seed": "0"], values: ["train/loss": 0.5, "train/curriculum/x": 2, "steps": 4]),
                RunSummary(index: 1, run: "s-1", parameters: ["seed": "1"], values: ["train/loss": 0.25, "steps": 4]),
            ])
            try table.writeHDF5(to: directory + "/t.h5")
            let file = try HDF5File(directory + "/t.h5")
            defer { try? file.close() }
            #expect(try file.openDataset("values/train/loss").read(as: Double.self) == [0.5, 0.25])
            let curriculum = try file.openDataset("values/train/curriculum/x").read(as: Double.self)
            #expect(curriculum[0] == 2 && curriculum[1].isNaN)
            #expect(try file.openDataset("values/steps").read(as: Double.self) == [4, 4])
        }
    }

    @Test("two shards merging the HDF5 table at once, 25 times each, both succeed; a reader meanwhile always finds a whole table; no temporary file is left")
    func concurrentTableWrites() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/sweep.h5"
            let tables = try [2, 3].map { count in
                try SweepTable(summaries: (0..<count).map {
                    RunSummary(index: $0, run: "s-\($0)", parameters: ["seed": "\($0)"], values: ["nll": Double($0)])
                })
            }
            try tables[0].writeHDF5(to: path)
            let failures = Mutex<[String]>([])
            let writersDone = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 3) { lane in
                if lane < 2 {
                    for round in 0..<25 {
                        do { try tables[lane].writeHDF5(to: path) } catch {
                            failures.withLock { $0.append("writer \(lane), round \(round): \(error)") }
                        }
                    }
                    writersDone.add(1, ordering: .releasing)
                    return
                }
                var reads = 0
                while writersDone.load(ordering: .acquiring) < 2 || reads == 0 {
                    do {
                        let file = try HDF5File(path)
                        defer { try? file.close() }
                        let index = try file.openDataset("index").read(as: Int64.self)
                        let nll = try file.openDataset("values/nll").read(as: Double.self)
                        if !(index == [0, 1] || index == [0, 1, 2]) || nll != index.map(Double.init) {
                            failures.withLock { $0.append("reader saw index \(index), nll \(nll)") }
                        }
                    } catch {
                        failures.withLock { $0.append("reader, read \(reads): \(error)") }
                    }
                    reads += 1
                }
            }
            #expect(failures.withLock { $0.isEmpty }, "\(failures.withLock { $0.prefix(3) })")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["sweep.h5"])
        }
    }

    @Test("the CSV lists runs in order with axis values and results")
    func csvLayout() throws {
        let table = try SweepTable(summaries: [
            RunSummary(index: 1, run: "s-1", parameters: ["a": "2"], values: ["x": 0.5]),
            RunSummary(index: 0, run: "s-0", parameters: ["a": "1"], values: ["x": 0.25, "y": 1]),
        ])
        #expect(table.csv == "index,run,a,x,y\n0,s-0,1,0.25,1.0\n1,s-1,2,0.5,nan\n")
        #expect(table.markdown == "| index | run | a | x | y |\n|---|---|---|---|---|\n| 0 | s-0 | 1 | 0.25 | 1.0 |\n| 1 | s-1 | 2 | 0.5 | nan |\n")
        #expect(throws: ConfigurationError.self) {
            try SweepTable(summaries: [RunSummary(index: 0, run: "a", parameters: [:], values: [:]),
                                       RunSummary(index: 0, run: "b", parameters: [:], values: [:])])
        }
    }
}
