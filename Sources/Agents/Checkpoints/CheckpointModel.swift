import Foundation
import NeuralNetworks

/// The model stored in a checkpoint file, rebuilt for sampling, evaluation and analysis: the network
/// of the checkpoint's recorded settings (MLP or U-Net, ``Checkpoint/networkArchitecture()``) under the EDM/CM preconditioning (Karras et al. 2022, "Elucidating the Design Space of
/// Diffusion-Based Generative Models"; Song et al. 2023, "Consistency Models"; METHODS.md §1), with the
/// evaluation-average parameters when the checkpoint has them (what CM, iCT and ECT evaluate) and the
/// online parameters otherwise. A "diffusion" checkpoint is an EDM denoiser D(x, t); every other
/// method's is a consistency function f(x, t) = c_skip(t) x + c_out(t) F(c_in(t) x, t).
///
/// Shared by the `consistency-td` commands and the experiments of `Experiments/` (their `--checkpoint`).
public struct CheckpointModel {
    /// The checkpoint file that was loaded.
    public let path: String
    public let checkpoint: Checkpoint
    public let network: PreconditionedNetwork
    /// The rate of the average whose parameters were loaded, nil for the online parameters.
    public let averageRate: String?
    /// t_max of the run (80 unless the configuration recorded another).
    public let maximumTime: Double

    /// The training method recorded in the checkpoint ("diffusion", "cd", "ect", …).
    public var method: String { checkpoint.method }
    /// Whether the network is an EDM denoiser (a diffusion model) rather than a consistency function.
    public var isDiffusion: Bool { checkpoint.method == "diffusion" }
    /// D.
    public var dimension: Int { network.dimension }
    /// "ect step 4000 (EMA 0.999)".
    public var label: String { "\(method) step \(checkpoint.step)" + (averageRate.map { " (EMA \($0))" } ?? "") }

    /// The checkpoint file a user names: a file as it is, a run folder's `checkpoints/latest`, or the
    /// file a `latest` pointer names. Throws ``CheckpointError/fileNotFound(path:)`` when nothing is there.
    public static func resolve(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CheckpointError.fileNotFound(path: path) }
        var resolved = path
        if isDirectory.boolValue {
            let folder = CheckpointFolder(directory: (path as NSString).appendingPathComponent("checkpoints"))
            guard let latest = try folder.latestPath() else {
                throw CheckpointError.malformed(path: path, object: "run folder", problem: "has no checkpoint (checkpoints/latest is missing); expected a checkpoint file or a run folder with checkpoints")
            }
            resolved = latest
        } else if (path as NSString).lastPathComponent == "latest" {
            let folder = CheckpointFolder(directory: (path as NSString).deletingLastPathComponent)
            guard let latest = try folder.latestPath() else {
                throw CheckpointError.malformed(path: path, object: "latest pointer", problem: "does not name a readable checkpoint")
            }
            resolved = latest
        }
        return URL(fileURLWithPath: resolved).standardizedFileURL.path
    }

    /// Loads the model of the checkpoint at `path`; `online` chooses the online parameters even when an
    /// evaluation average is stored (useful early in a run, when the average still remembers the start).
    public static func load(_ path: String, online: Bool = false) throws -> CheckpointModel {
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.fileNotFound(path: path) }
        return try CheckpointModel(path: path, checkpoint: try CheckpointFile.read(from: path), online: online)
    }

    /// Rebuilds the network of `checkpoint` (read from `path`, which only labels messages).
    public init(path: String, checkpoint: Checkpoint, online: Bool = false) throws {
        self.path = path
        self.checkpoint = checkpoint
        let architecture: TimeConditionedNetworkArchitecture
        do { architecture = try checkpoint.networkArchitecture() } catch {
            throw CheckpointError.malformed(path: path, object: "the config attribute",
                                            problem: "has no usable network settings (\(error)); it was not written by a consistency-td learner")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(checkpoint.configuration.utf8)) as? [String: Any]) ?? [:]
        let sigma = checkpoint.curriculum["data_standard_deviation"] ?? 0.5
        let minimumTime = (object["t_min"] as? NSNumber)?.doubleValue ?? 0.002
        maximumTime = (object["t_max"] as? NSNumber)?.doubleValue ?? 80
        let parameterisation: Parameterisation = checkpoint.method == "diffusion" ? .edmDenoiser : .consistency
        self.network = try PreconditionedNetwork(
            network: architecture.makeNetwork(seed: checkpoint.seed),
            preconditioning: Preconditioning(parameterisation, dataStandardDeviation: sigma, minimumTime: minimumTime))
        // The online parameters are checked against the network even when an average is used, so a
        // checkpoint with any misshapen or missing array is refused whole.
        try checkpoint.restore(into: self.network.store, path: path)
        var source = checkpoint
        if !online, let average = checkpoint.averages.first {
            source.parameters = average.parameters
            averageRate = average.rate
        } else {
            averageRate = nil
        }
        try source.restore(into: self.network.store, path: path)
    }
}
