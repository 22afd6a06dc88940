import Foundation
import HDF5
import Tensors

/// Reads and writes ``Checkpoint`` values as HDF5 files (layout in ``Checkpoint``'s documentation).
///
/// Writing is atomic: the file is written to `<path>.tmp`, closed (which flushes libhdf5's buffers;
/// a failing close fails the save), fsync'ed, renamed over `<path>`, and the directory is fsync'ed —
/// so a crash at any moment leaves either the previous file or the complete new one under `<path>`,
/// never a partial one. Parameter datasets are stored uncompressed (gzip saves ~14% on weights at
/// 35–90× the time) in one chunk per array with a Fletcher-32 checksum, so damaged bytes are caught
/// when the checkpoint is read.
public enum CheckpointFile {
    /// Writes `checkpoint` to `path` atomically. A failure removes the temporary file and leaves any
    /// existing file at `path` untouched.
    public static func write(_ checkpoint: Checkpoint, to path: String) throws {
        let temporary = path + ".tmp"
        do {
            try? FileManager.default.removeItem(atPath: temporary)
            try writeContents(checkpoint, to: temporary)
            try synchronizeFile(atPath: temporary)
            CheckpointFaultInjection.pauseIfRequested(.rename, step: checkpoint.step)
            guard rename(temporary, path) == 0 else { throw CheckpointError.writeFailed(path: path, reason: "rename: \(systemError())") }
            try synchronizeDirectory(of: path)
        } catch let error as CheckpointError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CheckpointError.writeFailed(path: path, reason: "\(error)")
        }
    }

    /// Reads the checkpoint at `path`, validating its format name and version and verifying every
    /// dataset's checksum. Each way of failing has its own ``CheckpointError``.
    public static func read(from path: String) throws -> Checkpoint {
        let file = try openValidated(path)
        defer { try? file.close() }
        let root = file
        func stringAttribute(_ name: String) throws -> String {
            do { return try root.stringAttribute(name) } catch {
                throw CheckpointError.malformed(path: path, object: "root attribute '\(name)'", problem: "is missing or not a string")
            }
        }
        func integerAttribute<T: HDF5Scalar>(_ name: String, of owner: some HDF5AttributeOwner, as type: T.Type, object: String) throws -> T {
            do { return try owner.attribute(name, as: T.self) } catch {
                throw CheckpointError.malformed(path: path, object: "attribute '\(name)' of \(object)", problem: "is missing or has the wrong type")
            }
        }
        let step = Int(try integerAttribute("step", of: root, as: Int64.self, object: "/"))
        let seed = try integerAttribute("seed", of: root, as: UInt64.self, object: "/")
        var provenanceValues: [String: String] = [:]
        for name in (try? root.attributeNames()) ?? [] where name.hasPrefix("provenance_") {
            provenanceValues[String(name.dropFirst("provenance_".count))] = try? root.stringAttribute(name)
        }
        let provenance = Provenance(
            toolkitVersion: (try? root.stringAttribute("toolkit_version")) ?? "unknown",
            gitDescribe: provenanceValues["git_describe"] ?? "unknown", hdf5Version: provenanceValues["hdf5_version"] ?? "unknown",
            openBLASConfiguration: provenanceValues["openblas_config"] ?? "unknown",
            openBLASCore: provenanceValues["openblas_core"] ?? "unknown",
            openBLASThreads: Int(provenanceValues["openblas_threads"] ?? "") ?? 0)

        guard (try? file.contains("parameters")) == true else {
            throw CheckpointError.malformed(path: path, object: "group /parameters", problem: "is missing")
        }
        let parameters = try readArrays(in: file, group: "parameters", path: path)
        let targetParameters = (try? file.contains("target_parameters")) == true
            ? try readArrays(in: file, group: "target_parameters", path: path) : nil

        var averages: [Checkpoint.Average] = []
        if (try? file.contains("ema")) == true {
            for member in try members(of: file, group: "ema", path: path) {
                let group = try file.openGroup("ema/" + member)
                let count = Int(try integerAttribute("update_count", of: group, as: Int64.self, object: "/ema/\(member)"))
                averages.append(Checkpoint.Average(rate: member, updateCount: count,
                                                   parameters: try readArrays(in: file, group: "ema/" + member, path: path)))
            }
        }

        // The trainer saves only states reached by a finite update (DESIGN.md §7): NaN or ∞ weights mean
        // a damaged or foreign file, which would train or sample nothing but NaN.
        let networks = [("parameters", parameters), ("target_parameters", targetParameters ?? [])] + averages.map { ("ema/" + $0.rate, $0.parameters) }
        for (group, arrays) in networks {
            if let bad = arrays.first(where: { array in !array.values.withUnsafeBufferPointer { $0.baseAddress.map { Kernels.allFinite($0, count: array.values.count) } ?? true } }) {
                throw CheckpointError.corruptData(path: path, dataset: "/\(group)/\(bad.name)",
                                                  reason: "it holds NaN or ∞ values, which no saved training state has")
            }
        }

        var optimizer: Checkpoint.OptimizerState?
        if (try? file.contains("optimizer")) == true {
            let kinds = try members(of: file, group: "optimizer", path: path)
            guard kinds.count == 1, let kind = kinds.first else {
                throw CheckpointError.malformed(path: path, object: "/optimizer", problem: "must hold exactly one optimizer group, found \(kinds)")
            }
            let group = try file.openGroup("optimizer/" + kind)
            let stepCount = Int(try integerAttribute("step", of: group, as: Int64.self, object: "/optimizer/\(kind)"))
            let learningRate = try integerAttribute("lr", of: group, as: Float.self, object: "/optimizer/\(kind)")
            var slots: [String: [NamedArray]] = [:]
            for slot in try members(of: file, group: "optimizer/" + kind, path: path) {
                slots[slot] = try readArrays(in: file, group: "optimizer/\(kind)/\(slot)", path: path)
            }
            optimizer = Checkpoint.OptimizerState(kind: kind, stepCount: stepCount, learningRate: learningRate, slots: slots)
        }

        var streams: [String: RandomStream] = [:]
        if (try? file.contains("random")) == true {
            for name in try members(of: file, group: "random", path: path) {
                let dataset: HDF5Dataset
                do { dataset = try file.openDataset("random/" + name) } catch {
                    throw CheckpointError.malformed(path: path, object: "/random/\(name)", problem: "is not a uint64 [3] stream state")
                }
                let words: [UInt64]
                do { words = try dataset.read(as: UInt64.self) } catch let error as HDF5Error where error.kind == .libraryCall {
                    throw CheckpointError.corruptData(path: path, dataset: "/random/\(name)", reason: error.message)
                } catch {
                    throw CheckpointError.malformed(path: path, object: "/random/\(name)", problem: "is not a uint64 [3] stream state")
                }
                guard let stream = RandomStream(state: words) else {
                    throw CheckpointError.malformed(path: path, object: "/random/\(name)", problem: "is not a valid stream state \(words)")
                }
                streams[name] = stream
            }
        }

        var curriculum: [String: Double] = [:]
        if (try? file.contains("curriculum")) == true {
            let group = try file.openGroup("curriculum")
            for name in try group.attributeNames() {
                curriculum[name] = try integerAttribute(name, of: group, as: Double.self, object: "/curriculum")
            }
        }

        return Checkpoint(
            step: step, method: try stringAttribute("method"), seed: seed, configuration: try stringAttribute("config"),
            createdUTC: try stringAttribute("created_utc"), provenance: provenance, parameters: parameters,
            targetParameters: targetParameters, averages: averages, optimizer: optimizer, randomStreams: streams,
            curriculum: curriculum)
    }

    // MARK: Writing

    /// Writes `checkpoint` into a new file at `path` and closes it. Closing writes libhdf5's last
    /// metadata, so a failing close means an incomplete file: it throws (and the caller must not
    /// rename the file into place). After a failed write the close is only a cleanup, and the write's
    /// error is the one reported.
    static func writeContents(_ checkpoint: Checkpoint, to path: String) throws {
        let file = try HDF5File(path, mode: .truncate)
        do {
            try fill(file, with: checkpoint)
        } catch {
            try? file.close()
            throw error
        }
        try file.close()
    }

    private static func fill(_ file: HDF5File, with checkpoint: Checkpoint) throws {
        try file.setAttribute("format", Checkpoint.formatName)
        try file.setAttribute("format_version", Checkpoint.formatVersion)
        try file.setAttribute("step", Int64(checkpoint.step))
        try file.setAttribute("created_utc", checkpoint.createdUTC)
        try file.setAttribute("toolkit_version", checkpoint.provenance.toolkitVersion)
        try file.setAttribute("config", checkpoint.configuration)
        try file.setAttribute("method", checkpoint.method)
        try file.setAttribute("seed", checkpoint.seed)
        for (name, value) in checkpoint.provenance.attributes where name != "toolkit_version" {
            try file.setAttribute("provenance_" + name, value)
        }
        try writeArrays(checkpoint.parameters, in: file, group: "parameters")
        if CheckpointFaultInjection.request != nil {
            try file.flush()
            CheckpointFaultInjection.pauseIfRequested(.partial, step: checkpoint.step)
        }
        if let target = checkpoint.targetParameters { try writeArrays(target, in: file, group: "target_parameters") }
        for average in checkpoint.averages {
            try writeArrays(average.parameters, in: file, group: "ema/" + average.rate)
            try file.openGroup("ema/" + average.rate).setAttribute("update_count", Int64(average.updateCount))
        }
        if let optimizer = checkpoint.optimizer {
            let group = try file.createGroup("optimizer/" + optimizer.kind, createIntermediateGroups: true)
            try group.setAttribute("step", Int64(optimizer.stepCount))
            try group.setAttribute("lr", optimizer.learningRate)
            for (slot, arrays) in optimizer.slots.sorted(by: { $0.key < $1.key }) {
                try writeArrays(arrays, in: file, group: "optimizer/\(optimizer.kind)/\(slot)")
            }
        }
        if !checkpoint.randomStreams.isEmpty {
            _ = try file.createGroup("random")
            for (name, stream) in checkpoint.randomStreams.sorted(by: { $0.key < $1.key }) {
                try file.createDataset("random/" + name, values: stream.state, options: checksummed(shape: [stream.state.count]))
            }
        }
        let curriculum = try file.createGroup("curriculum")
        for (name, value) in checkpoint.curriculum.sorted(by: { $0.key < $1.key }) {
            try curriculum.setAttribute(name, value)
        }
        try file.flush()
    }

    /// One float32 dataset per array under `group` (created with its parents), one chunk each, with
    /// Fletcher-32. Names may contain dots ("blocks.0.weight"): they are dataset names, not paths.
    /// The group's `order` attribute lists the names in the network's registration order (HDF5
    /// itself lists members alphabetically).
    static func writeArrays(_ arrays: [NamedArray], in file: HDF5File, group: String) throws {
        let container = try file.createGroup(group, createIntermediateGroups: true)
        try container.setAttribute("order", arrays.map(\.name))
        for array in arrays {
            try container.createDataset(array.name, values: array.values, shape: array.shape, options: checksummed(shape: array.shape))
        }
    }

    /// The storage of every checkpoint dataset (DESIGN.md §5): one chunk covering an array of `shape`,
    /// with a Fletcher-32 checksum, so damaged bytes fail the read instead of loading.
    static func checksummed(shape: [Int]) -> HDF5DatasetOptions {
        HDF5DatasetOptions(chunkShape: shape.map { max($0, 1) }, fletcher32: true)
    }

    // MARK: Reading

    static func openValidated(_ path: String) throws -> HDF5File {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CheckpointError.fileNotFound(path: path) }
        if isDirectory.boolValue { throw CheckpointError.isDirectory(path: path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        if size == 0 { throw CheckpointError.emptyFile(path: path) }
        let file: HDF5File
        do {
            file = try HDF5File(path, mode: .readOnly)
        } catch let error as HDF5Error {
            if error.kind == .notAnHDF5File { throw CheckpointError.notHDF5(path: path) }
            throw CheckpointError.unreadable(path: path, reason: error.message)
        }
        let format = try? file.stringAttribute("format")
        guard format == Checkpoint.formatName else {
            try? file.close()
            throw CheckpointError.wrongFormat(path: path, found: format)
        }
        guard let version = try? file.attribute("format_version", as: Int64.self) else {
            try? file.close()
            throw CheckpointError.malformed(path: path, object: "root attribute 'format_version'", problem: "is missing or not an integer")
        }
        guard version <= Checkpoint.formatVersion, version >= 1 else {
            try? file.close()
            throw CheckpointError.unsupportedVersion(path: path, found: version, supported: Checkpoint.formatVersion)
        }
        return file
    }

    static func members(of file: HDF5File, group: String, path: String) throws -> [String] {
        do { return try file.openGroup(group).members().map(\.name).sorted() } catch {
            throw CheckpointError.malformed(path: path, object: "group /\(group)", problem: "cannot be listed: \(error)")
        }
    }

    /// Every float32 dataset directly under `group`, in the written order; a failing read (a checksum
    /// mismatch among them) is a ``CheckpointError/corruptData``.
    static func readArrays(in file: HDF5File, group: String, path: String) throws -> [NamedArray] {
        var arrays: [NamedArray] = []
        var names = try members(of: file, group: group, path: path)
        if let order = try? file.openGroup(group).stringArrayAttribute("order") {
            let rank = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            names.sort { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
        }
        for name in names {
            let objectPath = "/\(group)/\(name)"
            let dataset: HDF5Dataset
            let shape: [Int]
            do {
                dataset = try file.openDataset(group + "/" + name)
                shape = try dataset.shape()
            } catch {
                throw CheckpointError.malformed(path: path, object: objectPath, problem: "is not a readable dataset")
            }
            do {
                arrays.append(NamedArray(name: name, shape: shape, values: try dataset.read(as: Float.self)))
            } catch let error as HDF5Error where error.kind == .typeMismatch {
                throw CheckpointError.malformed(path: path, object: objectPath, problem: "is not float32: \(error.message)")
            } catch let error as HDF5Error where error.kind == .exceedsMemory {
                throw CheckpointError.malformed(path: path, object: objectPath, problem: "declares shape \(shape): \(error.message)")
            } catch let error as HDF5Error {
                throw CheckpointError.corruptData(path: path, dataset: objectPath, reason: error.message)
            }
        }
        return arrays
    }

    // MARK: Durability

    /// fsync of a file's contents.
    static func synchronizeFile(atPath path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CheckpointError.writeFailed(path: path, reason: "open for fsync: \(systemError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw CheckpointError.writeFailed(path: path, reason: "fsync: \(systemError())") }
    }

    /// fsync of the directory holding `path`, so a rename into it is durable.
    static func synchronizeDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard descriptor >= 0 else { throw CheckpointError.writeFailed(path: path, reason: "open directory for fsync: \(systemError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw CheckpointError.writeFailed(path: path, reason: "fsync of the directory: \(systemError())") }
    }

    static func systemError() -> String { String(cString: strerror(errno)) }
}
