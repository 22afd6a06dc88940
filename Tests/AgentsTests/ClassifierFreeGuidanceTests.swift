@testable import Agents
import Environments
import Foundation
import NeuralNetworks
import Replay
import Tensors
import Testing

/// A tiny class-conditional network (1×4×4 U-Net, `classes` classes) whose parameters are all redrawn
/// N(0, 0.3²) so that every layer — the zero-initialised ones included — and every class row matter.
func randomisedNetwork(classes: Int, parameterisation: Parameterisation = .consistency) throws -> PreconditionedNetwork {
    let preconditioning = try Preconditioning(parameterisation, dataStandardDeviation: 0.5, minimumTime: 0.002)
    let network = try PreconditionedNetwork(architecture: .unet(tinyUNet(classes: classes)), seed: 3, preconditioning: preconditioning)
    var stream = RandomStream(seed: 11, purpose: "randomised-parameters")
    try network.store.loadValues((0..<network.store.count).map { _ in Float(0.3 * stream.nextNormal()) })
    return network
}

/// The plain conditional model: the network evaluated with one fixed label per row.
struct LabelledNetwork: ConsistencyFunction, Denoiser {
    let network: PreconditionedNetwork
    let label: Int32
    var dimension: Int { network.dimension }
    var minimumTime: Double { network.minimumTime }
    func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        let rows = points.count / dimension
        return try network.evaluate(points, times: [Double](repeating: t, count: rows), labels: [Int32](repeating: label, count: rows))
    }
    func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws {
        let values = try consistency(Array(UnsafeBufferPointer(start: points, count: count * dimension)), time: t)
        output.update(from: values, count: values.count)
    }
}

@Suite("Classifier-free guidance at sampling time")
struct ClassifierFreeGuidanceTests {
    @Test("w = 1 samples bit-identically to the plain conditional model, one- and multistep")
    func unitScaleIsConditional() throws {
        let network = try randomisedNetwork(classes: 3)
        let guided = try ClassGuidedNetwork(network: network, labels: [2], guidanceScale: 1)
        let a = try ConsistencySampler(model: guided, maximumTime: 80), b = try ConsistencySampler(model: LabelledNetwork(network: network, label: 2), maximumTime: 80)
        var s1 = RandomStream(seed: 4, purpose: "cfg"), s2 = s1
        #expect(try a.sample(count: 5, middleTimes: [0.8], stream: &s1) == b.sample(count: 5, middleTimes: [0.8], stream: &s2))
    }

    @Test("w = 0 samples bit-identically to the null class (an unlabelled request)")
    func zeroScaleIsUnconditional() throws {
        let network = try randomisedNetwork(classes: 3)
        let guided = try ClassGuidedNetwork(network: network, labels: [1], guidanceScale: 0)
        let a = try ConsistencySampler(model: guided, maximumTime: 80), b = try ConsistencySampler(model: network, maximumTime: 80)
        var s1 = RandomStream(seed: 5, purpose: "cfg"), s2 = s1
        let guidedSamples = try a.sample(count: 4, stream: &s1)
        #expect(guidedSamples == (try b.sample(count: 4, stream: &s2)))
        // An unlabelled request to a class-conditional network is the null class too (documented choice).
        let unlabelled = try ClassGuidedNetwork(network: network, labels: nil, guidanceScale: 3)
        let points = (0..<32).map { Double($0 % 7) * 0.3 - 1 }
        #expect(try unlabelled.evaluate(points, times: [2, 0.1]) == network.evaluate(points, times: [2, 0.1]))
    }

    @Test("w = 2 is u + 2(c − u) of two separate evaluations (one 2B-row forward), per-row labels honoured")
    func guidanceIsLinear() throws {
        let network = try randomisedNetwork(classes: 3)
        var stream = RandomStream(seed: 6, purpose: "cfg-points")
        let points = (0..<(3 * 16)).map { _ in stream.nextNormal() }
        let times = [5.0, 0.7, 0.05], labels: [Int32] = [0, 2, 1]
        for w in [2.0, -0.5, 7.5] {
            let guided = try ClassGuidedNetwork(network: network, labels: labels, guidanceScale: w).evaluate(points, times: times)
            let conditional = try network.evaluate(points, times: times, labels: labels)
            let unconditional = try network.evaluate(points, times: times)
            let expected = zip(conditional, unconditional).map { c, u in u + w * (c - u) }
            let error = zip(guided, expected).map { abs($0 - $1) }.max()!
            #expect(error < 1e-5, "w = \(w): max |difference| \(error)")
            // The guidance moves the output: the conditional and unconditional outputs differ.
            #expect(zip(conditional, unconditional).map { abs($0 - $1) }.max()! > 1e-3)
        }
    }

    @Test("the EDM Heun sampler with a guided diffusion network: w = 1 is bit-identical to conditional sampling, w = 2 the guided ODE")
    func heunSamplerGuidance() throws {
        let network = try randomisedNetwork(classes: 3, parameterisation: .edmDenoiser)
        let plain = try EDMHeunSampler(denoiser: LabelledNetwork(network: network, label: 1), dimension: 16, stepCount: 6)
        let unit = try EDMHeunSampler(denoiser: ClassGuidedNetwork(network: network, labels: [1], guidanceScale: 1), dimension: 16, stepCount: 6)
        let doubled = try EDMHeunSampler(denoiser: ClassGuidedNetwork(network: network, labels: [1], guidanceScale: 2), dimension: 16, stepCount: 6)
        var s1 = RandomStream(seed: 8, purpose: "heun-cfg"), s2 = s1, s3 = s1
        let reference = try plain.sample(count: 3, stream: &s1)
        #expect(try unit.sample(count: 3, stream: &s2) == reference)
        let guided = try doubled.sample(count: 3, stream: &s3)
        #expect(guided.allSatisfy { $0.isFinite })
        #expect(guided != reference)
    }

    @Test("labels outside 0…K−1, unconditional networks given labels and non-finite scales fail with messages naming them")
    func invalidRequestsFail() throws {
        let network = try randomisedNetwork(classes: 3)
        for bad: Int32 in [3, 7, -1] {
            #expect { try ClassGuidedNetwork(network: network, labels: [0, bad], guidanceScale: 1) } throws: { error in
                "\(error)".contains("class label \(bad)") && "\(error)".contains("0…2")
            }
        }
        let unconditional = try randomisedNetwork(classes: 0)
        #expect { try ClassGuidedNetwork(network: unconditional, labels: [0]) } throws: { error in
            "\(error)".contains("unconditional") && "\(error)".contains("class labels")
        }
        #expect { try ClassGuidedNetwork(network: network, labels: [1], guidanceScale: .nan) } throws: { error in
            "\(error)".contains("guidance scale")
        }
        let perRow = try ClassGuidedNetwork(network: network, labels: [0, 1], guidanceScale: 1)
        #expect { try perRow.evaluate([Double](repeating: 0, count: 48), times: [1, 1, 1]) } throws: { error in
            "\(error)".contains("2 class labels") && "\(error)".contains("3 rows")
        }
    }

    @Test("class-conditional episodes: the rollout records each episode's label and the batched rollout equals one rollout per class")
    func episodesRecordTheirLabels() throws {
        let network = try randomisedNetwork(classes: 3)
        let mdp = try DenoisingMDP(dimension: 16, times: [80, 2, 0.3, 0.002])
        let rollout = EpisodeRollout(environment: mdp)
        let labels: [Int32] = [2, 0, 1, 2]
        let policy = ConsistencyModelPolicy(model: try ClassGuidedNetwork(network: network, labels: labels, guidanceScale: 1.5), seed: 7)
        let episodes = try rollout.run(policy: policy, runSeed: 12, count: 4, labels: labels)
        #expect(episodes.map { $0.label } == labels.map { Optional($0) })
        // Episode i alone, with its label: the same start and, after the first guided step (same noise, keyed
        // by the row), the same state up to the batch's rounding. Later steps are not compared: the policy's
        // noise is keyed by the exact bits of the state, so rounding differences re-draw it.
        for (i, episode) in episodes.enumerated() {
            let single = ConsistencyModelPolicy(model: try ClassGuidedNetwork(network: network, labels: [labels[i]], guidanceScale: 1.5), seed: 7)
            let alone = try rollout.run(policy: single, runSeed: 12, first: i, count: 1, labels: [labels[i]])[0]
            #expect(alone.observation(at: 0) == episode.observation(at: 0))
            let error = zip(alone.observation(at: 1), episode.observation(at: 1)).map { abs($0 - $1) }.max()!
            #expect(error < 1e-4, "episode \(i): max |difference| after one step \(error)")
        }
        // The label changes the episode (the test above could not pass with labels ignored).
        let other = ConsistencyModelPolicy(model: try ClassGuidedNetwork(network: network, labels: [0], guidanceScale: 1.5), seed: 7)
        let relabelled = try rollout.run(policy: other, runSeed: 12, first: 0, count: 1, labels: [0])[0]
        #expect(zip(relabelled.observation(at: 1), episodes[0].observation(at: 1)).map { abs($0 - $1) }.max()! > 1e-3)
    }
}
