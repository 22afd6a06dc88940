import Analysis
@testable import DigitsConsistency
import Environments
import Foundation
import HDF5
import Testing

@Suite("DigitsConsistency experiment", .serialized)
struct DigitsConsistencyTests {
    static let dataFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Experiments/Data")
    static let digits = dataFolder.appendingPathComponent("digits-8x8.h5").path
    static let classifier = dataFolder.appendingPathComponent("digits-classifier.h5").path

    /// One tiny run (an unconditional and a class-conditional arm) shared by the tests of this suite.
    static let run: Result<String, any Error> = Result {
        let folder = try ExperimentBinary.temporaryFolder("digits-consistency")
        let arguments = ["--quick", "--methods", "ect,sct-cond", "--diffusion-steps", "6", "--consistency-steps", "6",
                         "--batch-size", "16", "--samples", "40", "--seeds", "2", "--seed", "3",
                         "--data", digits, "--classifier", classifier, "--output", folder + "/digits-consistency"]
        let result = try ExperimentBinary.run("DigitsConsistency", arguments, in: folder)
        guard result.status == 0, !result.timedOut else {
            throw ExperimentTestError("DigitsConsistency failed (\(result.status)): \(result.standardOutput)\(result.standardError)")
        }
        return folder + "/digits-consistency"
    }

    @Test("results.h5 holds FD and accuracy per arm, step count and seed; accuracy only for class-conditional arms")
    func resultsLayout() throws {
        let folder = try Self.run.get()
        let file = try HDF5File(folder + "/results.h5")
        #expect(try file.stringAttribute("format") == DigitsResults.format)
        #expect(try file.attribute("seeds", as: Int64.self) == 2)
        #expect(try file.attribute("first_seed", as: UInt64.self) == 3)
        #expect(try file.stringAttribute("classifier_sha256") == SHA256Checksum.hexDigest(ofFileAt: Self.classifier))
        for arm in ["ect", "sct-cond"] {
            for steps in [1, 2] {
                let fd = try file.openDataset("arms/\(arm)/fd_\(steps)step").read(as: Double.self)
                let accuracy = try file.openDataset("arms/\(arm)/accuracy_\(steps)step").read(as: Double.self)
                #expect(fd.count == 2 && fd.allSatisfy { $0.isFinite && $0 > 0 })
                if arm == "ect" {
                    #expect(accuracy.allSatisfy { $0.isNaN })
                } else {
                    #expect(accuracy.allSatisfy { $0 >= 0 && $0 <= 1 })
                    // 40 balanced samples: an accuracy is a multiple of 1/40.
                    #expect(accuracy.allSatisfy { abs($0 * 40 - ($0 * 40).rounded()) < 1e-9 })
                }
            }
            let loss = try file.openDataset("arms/\(arm)/loss")
            #expect(try loss.shape().first == 2)
        }
        for reference in ["diffusion", "diffusion-cond"] {
            let fd = try file.openDataset("references/\(reference)/fd_heun18").read(as: Double.self)
            #expect(fd.count == 2 && fd.allSatisfy { $0.isFinite && $0 > 0 })
        }
    }

    @Test("data_fd is the FD of the train split against the test split in the committed classifier's features")
    func dataFrechetDistance() throws {
        let file = try HDF5File(try Self.run.get() + "/results.h5")
        let evaluation = try ImageClassifierEvaluation(checkpointPath: Self.classifier)
        let train = try EmpiricalDataset(contentsOf: Self.digits, part: .train)
        let test = try EmpiricalDataset(contentsOf: Self.digits, part: .test)
        let f = evaluation.featureCount
        let expected = try SampleDistance.frechetDistance(
            FeatureStatistics(features: try evaluation.penultimateFeatures(images: train.points), dimension: f),
            FeatureStatistics(features: try evaluation.penultimateFeatures(images: test.points), dimension: f))
        // The run computes its features on one OpenBLAS thread (ExperimentBinary sets OPENBLAS_NUM_THREADS=1),
        // this process on its default count, so the float32 features round differently (measured 2.6e−7 relative): 1e−5
        // relative (a wrong split or feature layer differs by far more).
        let stored = try file.attribute("data_fd", as: Double.self)
        #expect(abs(stored - expected) < 1e-5 * max(1, expected), "stored \(stored), recomputed \(expected)")
    }

    @Test("the table shows each arm's mean ± SE and every grid is a PNG of 10 columns (40 samples: 4 rows)")
    func tableAndGrids() throws {
        let folder = try Self.run.get()
        let file = try HDF5File(folder + "/results.h5")
        let fd = try file.openDataset("arms/sct-cond/fd_1step").read(as: Double.self)
        let table = try String(contentsOfFile: folder + "/table.md", encoding: .utf8)
        #expect(table.contains("| sct-cond | \(DigitsResults.summary(fd, digits: 3)) |"))
        for name in ["ect-1step-seed3", "ect-2step-seed4", "sct-cond-1step-seed3", "diffusion-heun18-seed4", "diffusion-cond-heun18-seed3"] {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/grids/\(name).png")))
            #expect(bytes.prefix(4) == [0x89, 0x50, 0x4E, 0x47])
            // IHDR width and height: tiles of 32 px with 2 px padding around and between; 10 columns → 342,
            // 4 rows → 138.
            let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 342 && height == 138, "\(name): \(width) × \(height)")
        }
    }

    @Test("the exported notebook executes against the run's results", .enabled(if: NotebookRunner.shouldRun))
    func notebookExecutes() throws {
        let folder = try Self.run.get()
        try NotebookRunner.execute("digits-consistency.ipynb", results: URL(fileURLWithPath: folder).deletingLastPathComponent().path)
    }

    @Test("bad input fails in one line saying what is expected: unknown method, sample count, missing data, bad labels")
    func badInput() throws {
        let folder = try ExperimentBinary.temporaryFolder("digits-consistency-bad")
        let base = ["--quick", "--diffusion-steps", "2", "--consistency-steps", "2", "--classifier", Self.classifier, "--output", folder + "/out"]
        let cases: [([String], String)] = [
            (["--methods", "ect,lcm", "--data", Self.digits], "unknown method 'lcm'"),
            (["--samples", "15", "--data", Self.digits], "multiple of 10"),
            (["--data", folder + "/missing.h5"], "missing.h5"),
            (["--guidance", "nan", "--data", Self.digits], "--guidance"),
        ]
        for (arguments, expected) in cases {
            let result = try ExperimentBinary.run("DigitsConsistency", base + arguments, in: folder)
            #expect(result.status != 0)
            #expect(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1)
        }
        // Labels beyond the 10 classes.
        let bad = folder + "/bad-labels.h5"
        let source = try HDF5File(Self.digits)
        let data = try source.openDataset("data").read(as: Float.self)
        var labels = try source.openDataset("labels").read(as: Int32.self)
        let split = try source.openDataset("split").read(as: UInt8.self)
        labels[7] = 12
        let file = try HDF5File(bad, mode: .truncate)
        try file.createDataset("data", values: data, shape: [labels.count, 1, 8, 8])
        try file.createDataset("labels", values: labels)
        try file.createDataset("split", values: split)
        try file.close()
        let result = try ExperimentBinary.run("DigitsConsistency", base + ["--data", bad], in: folder)
        #expect(result.status != 0)
        #expect(result.standardError.contains("12"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/results.h5"))
    }
}
