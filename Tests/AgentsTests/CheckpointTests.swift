import Agents
import Foundation
import HDF5
import NeuralNetworks
import Tensors
import TestFolders
import Testing

/// A fresh temporary folder for one test, removed when the test process exits.
func temporaryFolder(_ name: String) throws -> String {
    try TemporaryFolders.unique(prefix: "consistency-td-\(name)")
}

/// A small training state: an MLP, Adam after a few steps, two EMAs, a stream.
struct TrainingState {
    let network: TimeConditionedMLP
    let optimizer: Adam
    let averages: ExponentialMovingAverage

    init(seed: UInt64, width: Int = 16, steps: Int = 3) throws {
        network = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: width), seed: seed)
        optimizer = try Adam()
        averages = try ExponentialMovingAverage(of: network.store, rates: [0.9, 0.999])
        for step in 0..<steps {
            var stream = RandomStream(seed: seed, purpose: "fake-gradients", index: UInt64(step))
            stream.fillNormal(network.store.gradients, count: network.store.count)
            try optimizer.step(network.store, learningRate: 1e-2)
            try averages.update(from: network.store)
        }
    }

    func checkpoint(step: Int) -> Checkpoint {
        var stream = RandomStream(seed: 5, purpose: "noise")
        _ = stream.nextNormal()
        return Checkpoint(step: step, method: "ect", seed: 5, configuration: #"{"preset":"ect","steps":100}"#,
                          store: network.store, optimizer: optimizer, learningRate: 1e-2, averages: averages,
                          randomStreams: ["noise": stream], curriculum: ["stage": 2, "N": 40, "mu": 0.95])
    }
}

@Suite("Checkpoints")
struct CheckpointTests {
    @Test("save then load restores parameters, optimizer slots, EMAs, streams and curriculum bit for bit")
    func roundTrip() throws {
        let folder = try temporaryFolder("roundtrip")
        let state = try TrainingState(seed: 1)
        let original = state.checkpoint(step: 42)
        let path = folder + "/step.h5"
        try CheckpointFile.write(original, to: path)
        let loaded = try CheckpointFile.read(from: path)
        #expect(loaded == original)

        let restored = try TrainingState(seed: 99, steps: 0)
        try loaded.restore(into: restored.network.store, optimizer: restored.optimizer, averages: restored.averages, path: path)
        #expect(restored.network.store.snapshotValues() == state.network.store.snapshotValues())
        #expect(restored.optimizer.stepCount == 3)
        #expect(restored.optimizer.snapshotSlots() == state.optimizer.snapshotSlots())
        #expect(restored.averages.snapshot(1) == state.averages.snapshot(1) && restored.averages.updateCounts == [3, 3])
        // One more identical step on both gives identical parameters: the optimizer state really resumed.
        for trainer in [state, restored] {
            var stream = RandomStream(seed: 7, purpose: "next")
            stream.fillNormal(trainer.network.store.gradients, count: trainer.network.store.count)
            try trainer.optimizer.step(trainer.network.store, learningRate: 1e-2)
        }
        #expect(restored.network.store.snapshotValues() == state.network.store.snapshotValues())
    }

    @Test("h5py-style paths: parameters are datasets named by their stable names, with Fletcher-32")
    func layout() throws {
        let folder = try temporaryFolder("layout")
        let path = folder + "/c.h5"
        try CheckpointFile.write(try TrainingState(seed: 2).checkpoint(step: 7), to: path)
        let file = try HDF5File(path)
        #expect(try file.stringAttribute("format") == "consistency-td.checkpoint")
        #expect(try file.attribute("format_version", as: Int64.self) == 1)
        #expect(try file.attribute("step", as: Int64.self) == 7)
        let weight = try file.openDataset("parameters/layers.0.weight")
        #expect(try weight.shape() == [66, 16])
        #expect(try weight.filters().contains { "\($0)".lowercased().contains("fletcher") })
        #expect(try file.contains("optimizer/adam/m/layers.4.bias"))
        #expect(try file.contains("ema/0.999/layers.4.bias"))
        #expect(try file.openDataset("random/noise").read(as: UInt64.self).count == 3)
        #expect(try file.stringAttribute("provenance_openblas_core") == BLASRuntime.coreName)
    }

    @Test("a renamed or reshaped parameter is reported by name and shape, and nothing is loaded")
    func mismatchedLayout() throws {
        let folder = try temporaryFolder("mismatch")
        let path = folder + "/c.h5"
        try CheckpointFile.write(try TrainingState(seed: 3).checkpoint(step: 1), to: path)
        var renamed = try CheckpointFile.read(from: path)
        renamed.parameters[0].name = "layers.0.kernel"
        let target = try TrainingState(seed: 4, steps: 0)
        let before = target.network.store.snapshotValues()
        #expect {
            try renamed.restore(into: target.network.store, path: path)
        } throws: { error in
            guard case let CheckpointError.parameterMismatch(_, _, missing, unexpected, _) = error else { return false }
            return missing == ["layers.0.weight"] && unexpected == ["layers.0.kernel"]
                && "\(error)".contains("layers.0.kernel") && "\(error)".contains("missing layers.0.weight")
        }
        let wider = try TrainingState(seed: 5, width: 24, steps: 0)
        #expect {
            try CheckpointFile.read(from: path).restore(into: wider.network.store, path: path)
        } throws: { error in
            guard case let CheckpointError.parameterMismatch(_, _, _, _, reshaped) = error else { return false }
            return !reshaped.isEmpty && "\(error)".contains("[66, 16]") && "\(error)".contains("[66, 24]")
        }
        #expect(target.network.store.snapshotValues() == before)
    }

    @Test("wrong format, future version, empty, directory, missing, non-HDF5 and truncated files fail distinctly")
    func badFiles() throws {
        let folder = try temporaryFolder("bad")
        let good = folder + "/good.h5"
        try CheckpointFile.write(try TrainingState(seed: 6).checkpoint(step: 1), to: good)

        let other = folder + "/other.h5"
        let otherFile = try HDF5File(other, mode: .truncate)
        try otherFile.setAttribute("format", "consistency-td.trajectories")
        try otherFile.close()
        #expect { try CheckpointFile.read(from: other) } throws: { error in
            if case CheckpointError.wrongFormat(_, let found) = error { return found == "consistency-td.trajectories" }
            return false
        }

        let future = folder + "/future.h5"
        try FileManager.default.copyItem(atPath: good, toPath: future)
        let futureFile = try HDF5File(future, mode: .readWrite)
        try futureFile.setAttribute("format_version", Int64(99))
        try futureFile.close()
        #expect { try CheckpointFile.read(from: future) } throws: { error in
            if case CheckpointError.unsupportedVersion(_, 99, 1) = error { return true }
            return false
        }

        let empty = folder + "/empty.h5"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect { try CheckpointFile.read(from: empty) } throws: { error in
            if case CheckpointError.emptyFile = error { return true }
            return false
        }
        #expect { try CheckpointFile.read(from: folder) } throws: { error in
            if case CheckpointError.isDirectory = error { return true }
            return false
        }
        #expect { try CheckpointFile.read(from: folder + "/missing.h5") } throws: { error in
            if case CheckpointError.fileNotFound = error { return "\(error)".contains("missing.h5") }
            return false
        }
        let text = folder + "/notes.h5"
        try "not a checkpoint".write(toFile: text, atomically: true, encoding: .utf8)
        #expect { try CheckpointFile.read(from: text) } throws: { error in
            if case CheckpointError.notHDF5 = error { return true }
            return false
        }
        let truncated = folder + "/truncated.h5"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect { try CheckpointFile.read(from: truncated) } throws: { error in
            switch error {
            case CheckpointError.unreadable, CheckpointError.corruptData: return true
            default: return false
            }
        }
    }

    @Test("a byte flipped inside a weight chunk fails the Fletcher-32 check and names the dataset")
    func flippedWeightByte() throws {
        let folder = try temporaryFolder("flip")
        let state = try TrainingState(seed: 8, steps: 0)
        let entry = try #require(state.network.store.entry(named: "layers.2.weight"))
        let weights = state.network.store.values(of: entry.handle)
        for i in weights.indices { weights[i] = 1234.5 + Float(i) }  // a byte pattern found nowhere else
        let path = folder + "/c.h5"
        try CheckpointFile.write(state.checkpoint(step: 1), to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pattern = withUnsafeBytes(of: Float(1234.5 + 100)) { Array($0) }
        let offset = try #require((0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == pattern })
        bytes[offset + 1] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { try CheckpointFile.read(from: path) } throws: { error in
            guard case let CheckpointError.corruptData(_, dataset, _) = error else { return false }
            return dataset == "/parameters/layers.2.weight"
        }
    }

    @Test("a parameter dataset declaring 10¹² rows is refused as malformed, naming its shape, before anything is allocated")
    func hugeDeclaredParameter() throws {
        let folder = try temporaryFolder("huge")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/c.h5"
        try CheckpointFile.write(try TrainingState(seed: 8, steps: 0).checkpoint(step: 1), to: path)
        let file = try HDF5File(path, mode: .readWrite)
        let parameters = try file.openGroup("parameters")
        try parameters.delete("layers.2.weight")
        _ = try parameters.createDataset("layers.2.weight", of: Float.self, shape: [1_000_000_000_000, 16],
                                         options: HDF5DatasetOptions(chunkShape: [1024, 16]))
        try file.close()
        #expect { try CheckpointFile.read(from: path) } throws: { error in
            guard case let CheckpointError.malformed(_, object, problem) = error else { return false }
            return object == "/parameters/layers.2.weight" && problem.contains("[1000000000000, 16]") && problem.contains("memory")
        }
    }

    @Test("random streams are stored like every other array: one chunk with Fletcher-32, and they resume the same draws")
    func randomStreamStorage() throws {
        let folder = try temporaryFolder("random-storage")
        let path = folder + "/c.h5"
        let original = try TrainingState(seed: 3, steps: 0).checkpoint(step: 1)
        try CheckpointFile.write(original, to: path)
        let file = try HDF5File(path)
        let noise = try file.openDataset("random/noise")
        #expect(try noise.chunkShape() == [3])
        #expect(try noise.filters() == [.fletcher32])
        try file.close()

        var saved = try #require(original.randomStreams["noise"])
        var restored = try #require(try CheckpointFile.read(from: path).randomStreams["noise"])
        #expect(restored.state == saved.state)
        #expect((0..<4).map { _ in restored.nextNormal() } == (0..<4).map { _ in saved.nextNormal() })
    }

    @Test("a byte flipped inside a random stream's state fails the Fletcher-32 check and names the dataset")
    func flippedRandomStreamByte() throws {
        let folder = try temporaryFolder("flip-random")
        let path = folder + "/c.h5"
        let checkpoint = try TrainingState(seed: 4, steps: 0).checkpoint(step: 1)
        try CheckpointFile.write(checkpoint, to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pattern = try #require(checkpoint.randomStreams["noise"]).state.flatMap { word in withUnsafeBytes(of: word.littleEndian) { Array($0) } }
        let offset = try #require((0...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern })
        bytes[offset] ^= 0x01  // the low byte of key₀: still a valid stream state, so only the checksum can tell
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { _ = try CheckpointFile.read(from: path) } throws: { error in
            guard case let CheckpointError.corruptData(_, dataset, _) = error else { return false }
            return dataset == "/random/noise"
        }
    }

    @Test("a folder keeps the last K checkpoints and a latest pointer to the newest")
    func folderRotation() throws {
        let folder = CheckpointFolder(directory: try temporaryFolder("rotation") + "/checkpoints", keep: 2)
        #expect(try folder.loadLatest() == nil)
        let state = try TrainingState(seed: 9, steps: 0)
        for step in [10, 20, 30] { try folder.save(state.checkpoint(step: step)) }
        #expect(folder.steps() == [20, 30])
        #expect(try folder.latestPath() == folder.path(step: 30))
        #expect(try folder.loadLatest()?.step == 30)
        #expect(!FileManager.default.fileExists(atPath: folder.path(step: 30) + ".tmp"))
    }

    /// A run resumed from an earlier `latest` (a crash after a checkpoint's rename, before the pointer
    /// moved) saves steps below checkpoints still in the folder. Pruning by the highest step numbers
    /// used to delete the checkpoint just saved, leaving `latest` naming a missing file.
    @Test("a save below later (stale) checkpoints keeps itself and the latest pointer valid, and removes the stale ones",
          arguments: [1, 3])
    func rotationAfterResumeFromEarlierCheckpoint(keep: Int) throws {
        let folder = CheckpointFolder(directory: try temporaryFolder("rotation-stale-\(keep)") + "/checkpoints", keep: keep)
        let state = try TrainingState(seed: 9, steps: 0)
        for step in [10, 20, 30] { try folder.save(state.checkpoint(step: step)) }
        try folder.save(state.checkpoint(step: 15))
        #expect(try folder.latestPath() == folder.path(step: 15))
        #expect(try folder.loadLatest()?.step == 15)
        #expect(folder.steps() == (keep == 1 ? [15] : [10, 15]))
    }

    @Test("a write that fails leaves the previous checkpoint intact and no file under the final name")
    func failedWriteKeepsPrevious() throws {
        let directory = try temporaryFolder("readonly")
        let path = directory + "/c.h5"
        let state = try TrainingState(seed: 10, steps: 0)
        try CheckpointFile.write(state.checkpoint(step: 1), to: path)
        // A checkpoint whose last array does not fit its shape fails half-way through the write.
        var broken = state.checkpoint(step: 2)
        broken.parameters[broken.parameters.count - 1].shape = [3, 3]
        #expect(throws: CheckpointError.self) { try CheckpointFile.write(broken, to: path) }
        #expect(try CheckpointFile.read(from: path).step == 1)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    /// The late end of the write path: the contents are written, the file closed (a failing close
    /// throws here too) and fsync'ed, then the rename fails. A close failure itself cannot be caused
    /// deterministically without fault injection.
    @Test("a write that fails after the file is closed (the rename) removes the temporary and leaves the path as it was")
    func failedRenameRemovesTheTemporary() throws {
        let path = try temporaryFolder("rename") + "/c.h5"
        // A non-empty folder under the final name: rename(2) of a file over it fails with EISDIR.
        try FileManager.default.createDirectory(atPath: path + "/kept", withIntermediateDirectories: true)
        let state = try TrainingState(seed: 11, steps: 0)
        #expect { try CheckpointFile.write(state.checkpoint(step: 1), to: path) } throws: { error in
            guard case let CheckpointError.writeFailed(_, reason) = error else { return false }
            return reason.hasPrefix("rename")
        }
        #expect(FileManager.default.fileExists(atPath: path + "/kept"))
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }
}
