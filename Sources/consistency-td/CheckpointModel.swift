import ConsistencyTD
import Foundation

/// The model stored in a checkpoint file, rebuilt for sampling and evaluation: the network of the
/// checkpoint's recorded network settings (MLP or U-Net, ``Checkpoint/networkArchitecture()``) with the
/// evaluation-average parameters when the checkpoint has them (what CM, iCT and ECT evaluate), the
/// online parameters otherwise. A "diffusion" checkpoint is an EDM denoiser D(x, t); every other
/// method's is a consistency function f(x, t).
struct CheckpointModel {
    let path: String
    let checkpoint: Checkpoint
    let network: PreconditionedNetwork
    /// The rate of the average whose parameters were loaded, nil for the online parameters.
    let averageRate: String?
    /// t_max of the run (80 unless the configuration recorded another).
    let maximumTime: Double

    var method: String { checkpoint.method }
    var isDiffusion: Bool { checkpoint.method == "diffusion" }
    var dimension: Int { network.dimension }
    /// "ect step 4000 (EMA 0.999)".
    var label: String { "\(method) step \(checkpoint.step)" + (averageRate.map { " (EMA \($0))" } ?? "") }

    /// Loads the model of the checkpoint at `path`; `online` chooses the online parameters even when an
    /// evaluation average is stored (useful early in a run, when the average still remembers the start).
    static func load(_ path: String, online: Bool = false) throws -> CheckpointModel {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandLineFailure("checkpoint '\(path)' does not exist; expected an HDF5 checkpoint such as <run>/checkpoints/step-00001000.h5")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try CheckpointFile.read(from: path) } catch {
            throw CommandLineFailure("'\(path)' is not a readable consistency-td checkpoint: \(error)")
        }
        return try CheckpointModel(path: path, checkpoint: checkpoint, online: online)
    }

    init(path: String, checkpoint: Checkpoint, online: Bool = false) throws {
        self.path = path
        self.checkpoint = checkpoint
        let architecture: TimeConditionedNetworkArchitecture
        do { architecture = try checkpoint.networkArchitecture() } catch {
            throw CommandLineFailure("checkpoint '\(path)' has no usable network settings in its config attribute (\(error)); it was not written by a consistency-td learner")
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
        do { try checkpoint.restore(into: self.network.store, path: path) } catch {
            throw CommandLineFailure("checkpoint '\(path)' does not match its own network settings: \(error)")
        }
        var source = checkpoint
        if !online, let average = checkpoint.averages.first {
            source.parameters = average.parameters
            averageRate = average.rate
        } else {
            averageRate = nil
        }
        do { try source.restore(into: self.network.store, path: path) } catch {
            throw CommandLineFailure("checkpoint '\(path)' does not match its own network settings: \(error)")
        }
    }
}
