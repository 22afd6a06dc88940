import ConsistencyTD
import Foundation

/// The data distribution a command works on: a distribution spec file (JSON, or YAML for `.yaml`/`.yml`;
/// Environments' ``DistributionSpec``) or, without one, the built-in default environment — the 2-D
/// ring of 8 Gaussians with radius 2 and standard deviation 0.1.
struct EnvironmentSource {
    /// The built-in environment: `{"kind": "ring", "modes": 8, "radius": 2, "std": 0.1}`.
    static let defaultSpec = DistributionSpec.ring(RingSpec(modes: 8, radius: 2, std: 0.1))
    static let defaultName = "the built-in ring of 8 Gaussians (radius 2, std 0.1)"

    let spec: DistributionSpec
    let distribution: any DataDistribution
    /// The file it came from, or ``defaultName``.
    let name: String

    /// Loads and validates the spec at `path` (nil: the default environment) and builds its distribution.
    static func load(_ path: String?) throws -> EnvironmentSource {
        guard let path else { return try EnvironmentSource(spec: defaultSpec, name: defaultName) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandLineFailure("environment spec '\(path)' does not exist; expected a JSON or YAML distribution spec such as {\"kind\": \"ring\", \"modes\": 8, \"radius\": 2, \"std\": 0.1}")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CommandLineFailure("cannot read environment spec '\(path)': \(error.localizedDescription)")
        }
        let spec: DistributionSpec
        do {
            let lower = path.lowercased()
            if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
                spec = try DistributionSpec.decode(yaml: String(decoding: data, as: UTF8.self))
            } else {
                spec = try DistributionSpec.decode(json: data)
            }
        } catch {
            throw CommandLineFailure("invalid environment spec '\(path)': \(error)")
        }
        do { return try EnvironmentSource(spec: spec, name: path) } catch {
            throw CommandLineFailure("invalid environment spec '\(path)': \(error)")
        }
    }

    init(spec: DistributionSpec, name: String) throws {
        self.spec = spec
        self.name = name
        distribution = try spec.makeDistribution()
    }

    /// The distribution with its closed-form denoiser (Gaussian mixtures, finite datasets), or a
    /// failure naming `purpose` and the kinds that have one.
    func closedForm(for purpose: String) throws -> any ClosedFormDistribution {
        guard let closed = distribution as? any ClosedFormDistribution else {
            throw CommandLineFailure("\(purpose) needs data with a closed-form posterior (kinds gaussian-mixture, ring, grid, random-gaussian-mixture, empirical); \(name) is of kind '\(spec.kind)'")
        }
        return closed
    }
}
