// Trains the toolkit's consistency methods on the 2-D ring of 8 Gaussians (std 0.1, radius 2) and
// prints, for 4096 one-step samples, the mean exact negative log-likelihood under the true density,
// the data's own, and mode coverage.
//
//     RingOfEight [steps-scale] [methods, e.g. cd,ict,ect,sct] [key=value …]
//
// A diffusion model is pretrained first (EDM), then CD distils it, ECT and SCT tune it, and CT, iCT
// and sLCT train from scratch. Every method starts from its paper preset and then takes the toy
// settings of `toySettings` (the tuned ones, see the table there); `key=value` arguments override
// them for all methods, `method.key=value` for one (keys: steps batch lr decay warmup width depth
// ema target est ref td metric c weight q pmean pstd stages progression s0 s1 sigma tmax emb seed diag; diffusion: dsteps
// dlr ddecay dbatch). `seed` seeds the consistency run's streams (initialisation, batches, noise); the
// diffusion model is always trained with seed 0, so runs with different seeds tune the same teacher.
import Agents
import Environments
import Foundation
import Tensors

/// The tuned toy settings per method (steps at scale 1; the paper presets otherwise). Shared: a cosine
/// learning-rate decay to 5% (the largest single gain: the EDM teacher's Heun-18 gap falls from +0.89 to
/// +0.12 nat), t_max = 20 (σ_d ≈ 1.4, so x = 20 z is already pure noise, and the log-normal
/// P(−1.1, 2) puts almost no training time near 80), lr 1e−3. ECT and SCT use a uniform pair weight
/// (1/(t − r) with c = 0 was worse on this toy). ECT uses a Cauchy metric with c = 0.03 — its mode-seeking
/// fixed point keeps the one-step map sharp at the basin boundaries where the conditional target is
/// bimodal (gap +2.64 → ≈ +1.75 at 20 000 steps) — an EMA target network with μ = 0.99 instead of the
/// stop-gradient (→ ≈ +1.4) and batch 1024 (→ +0.92–1.04 over seeds 0–2; 40 000 steps, `steps=40000`:
/// +0.76 and +0.68 for seeds 1 and 2; the table in Experiments/README.md). iCT takes the same recipe
/// (with s₁ = 160): +2.15 at 20 000 steps against +4.90 with its paper metric, weight and batch 512, and
/// +0.65 at 80 000 steps (its default here). SCT takes it too, with 4-step TD targets and 80 000 steps:
/// +0.75 (TD(0): +1.05 at 80 000 steps).
func toySettings(_ method: String) -> [String: String] {
    let shared = ["decay": "cosine:0.05", "tmax": "20", "lr": "1e-3"]
    switch method {
    case "diffusion": return ["dsteps": "8000", "ddecay": "cosine:0.05", "dlr": "2e-3", "dbatch": "512"]
    case "cd": return shared.merging(["steps": "20000", "batch": "256"]) { $1 }
    case "ect": return shared.merging(["steps": "20000", "batch": "1024", "weight": "uniform", "metric": "cauchy", "c": "0.03", "target": "0.99"]) { $1 }
    case "ict": return shared.merging(["steps": "80000", "batch": "1024", "s1": "160", "weight": "uniform", "metric": "cauchy", "c": "0.03",
                                       "target": "0.99"]) { $1 }
    case "sct": return shared.merging(["steps": "80000", "batch": "1024", "weight": "uniform", "metric": "cauchy", "c": "0.03",
                                       "target": "0.99", "td": "nstep-4"]) { $1 }
    default: return [:]
    }
}

/// A `key=value` argument whose value is not one the key takes.
struct BadSetting: Error, CustomStringConvertible {
    var key: String, value: String, expected: String
    var description: String { "\(key)=\(value): expected \(expected)" }
}

struct Settings {
    var overrides: [String: String]
    var method: String
    func string(_ key: String) -> String? { overrides["\(method).\(key)"] ?? overrides[key] ?? toySettings(method)[key] }
    func double(_ key: String) -> Double? { string(key).flatMap(Double.init) }
    func int(_ key: String) -> Int? { double(key).map { Int($0) } }
    /// The value given on the command line only (not the toy default).
    func given(_ key: String) -> String? { overrides["\(method).\(key)"] ?? overrides[key] }
}

func meanNegativeLogLikelihood(_ samples: [Double], _ mixture: GaussianMixture) -> (nll: Double, modes: Int) {
    let count = samples.count / 2
    var logDensity = [Double](repeating: 0, count: count)
    samples.withUnsafeBufferPointer { x in
        logDensity.withUnsafeMutableBufferPointer { mixture.logDensity(x.baseAddress!, count: count, time: 0, into: $0.baseAddress!) }
    }
    var hits = [Int](repeating: 0, count: mixture.componentCount)
    for i in 0..<count {
        var best = 0, bestDistance = Double.infinity
        for k in 0..<mixture.componentCount {
            let m = mixture.mean(ofComponent: k)
            let distance = (samples[2 * i] - m[0]) * (samples[2 * i] - m[0]) + (samples[2 * i + 1] - m[1]) * (samples[2 * i + 1] - m[1])
            if distance < bestDistance { bestDistance = distance; best = k }
        }
        hits[best] += 1
    }
    let covered = hits.filter { Double($0) >= 0.01 * Double(count) }.count
    return (-logDensity.reduce(0, +) / Double(count), covered)
}

func oneStepSamples(_ model: PreconditionedNetwork, count: Int, maximumTime: Double) throws -> [Double] {
    var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
    var noise = [Double](repeating: 0, count: count * 2)
    noise.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
    return try model.consistency(noise.map { $0 * maximumTime }, time: maximumTime)
}

/// Where samples land: mean and std of the radius, RMS distance to the nearest mode centre, and the
/// mean NLL of the worst 5% (tails).
func sampleShape(_ samples: [Double], _ mixture: GaussianMixture) -> String {
    let count = samples.count / 2
    var radii: [Double] = [], nearest: [Double] = []
    for i in 0..<count {
        radii.append((samples[2 * i] * samples[2 * i] + samples[2 * i + 1] * samples[2 * i + 1]).squareRoot())
        var best = Double.infinity
        for k in 0..<mixture.componentCount {
            let m = mixture.mean(ofComponent: k)
            best = min(best, (samples[2 * i] - m[0]) * (samples[2 * i] - m[0]) + (samples[2 * i + 1] - m[1]) * (samples[2 * i + 1] - m[1]))
        }
        nearest.append(best)
    }
    let meanRadius = radii.reduce(0, +) / Double(count)
    let radiusStd = (radii.map { ($0 - meanRadius) * ($0 - meanRadius) }.reduce(0, +) / Double(count)).squareRoot()
    let sorted = nearest.sorted()
    let rms = (nearest.reduce(0, +) / Double(count)).squareRoot()
    return String(format: "radius %.3f ± %.3f, RMS to nearest mode %.3f (data 0.141), median %.3f, 95%% %.3f",
                  meanRadius, radiusStd, rms, sorted[count / 2].squareRoot(), sorted[count * 95 / 100].squareRoot())
}

/// Mean ‖f_θ(x_t, t) − f*(x_t, t)‖ over 256 states x_t = x₀ + t z per time: where the consistency
/// function is wrong.
func errorProfile(_ model: PreconditionedNetwork, _ mixture: GaussianMixture) throws -> String {
    let exact = try ExactValue(distribution: mixture)
    var stream = RandomStream(seed: 5, purpose: "profile", index: 0)
    var parts: [String] = []
    for t in [0.01, 0.05, 0.2, 0.5, 1, 2, 5, 20, 80] {
        let x0 = mixture.sample(count: 256, stream: &stream)
        var z = [Double](repeating: 0, count: 512)
        z.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: 512) }
        let xt = (0..<512).map { x0[$0] + t * z[$0] }
        let f = try model.consistency(xt, time: t), g = try exact.consistency(xt, time: t)
        var total = 0.0
        for i in 0..<256 { total += ((f[2 * i] - g[2 * i]) * (f[2 * i] - g[2 * i]) + (f[2 * i + 1] - g[2 * i + 1]) * (f[2 * i + 1] - g[2 * i + 1])).squareRoot() }
        parts.append(String(format: "t=%g: %.3f", t, total / 256))
    }
    return "‖f − f*‖ " + parts.joined(separator: ", ")
}

/// Which noise draws give the far samples (nearest mode > 0.3 away, ≥ 4.5 nats each): their share of
/// the samples and of the NLL excess, by noise norm |z| and by the angle of z to the nearest basin
/// boundary of f*(·, T) (the bisectors between modes).
func farSamples(_ model: PreconditionedNetwork, _ mixture: GaussianMixture, maximumTime: Double) throws -> String {
    let count = 4096
    var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
    var noise = [Double](repeating: 0, count: count * 2)
    noise.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
    let samples = try model.consistency(noise.map { $0 * maximumTime }, time: maximumTime)
    var logDensity = [Double](repeating: 0, count: count)
    samples.withUnsafeBufferPointer { x in
        logDensity.withUnsafeMutableBufferPointer { mixture.logDensity(x.baseAddress!, count: count, time: 0, into: $0.baseAddress!) }
    }
    let sector = 2 * Double.pi / Double(mixture.componentCount)
    var normCounts = [Int](repeating: 0, count: 4), angleCounts = [Int](repeating: 0, count: 4), far = 0, farNLL = 0.0
    var allNorm = [Int](repeating: 0, count: 4), allAngle = [Int](repeating: 0, count: 4)
    for i in 0..<count {
        let norm = (noise[2 * i] * noise[2 * i] + noise[2 * i + 1] * noise[2 * i + 1]).squareRoot()
        let angle = atan2(noise[2 * i + 1], noise[2 * i])
        let offset = (angle / sector - 0.5).rounded() - (angle / sector - 0.5)  // to the nearest bisector, in sectors
        let toBoundary = abs(offset) * sector
        let normBin = min(3, Int(norm)), angleBin = toBoundary < 0.01 ? 0 : toBoundary < 0.03 ? 1 : toBoundary < 0.1 ? 2 : 3
        allNorm[normBin] += 1; allAngle[angleBin] += 1
        var best = Double.infinity
        for k in 0..<mixture.componentCount {
            let m = mixture.mean(ofComponent: k)
            best = min(best, (samples[2 * i] - m[0]) * (samples[2 * i] - m[0]) + (samples[2 * i + 1] - m[1]) * (samples[2 * i + 1] - m[1]))
        }
        if best > 0.09 {
            far += 1; farNLL -= logDensity[i]; normCounts[normBin] += 1; angleCounts[angleBin] += 1
        }
    }
    let bins = { (hit: [Int], all: [Int]) in zip(hit, all).map { "\($0.0)/\($0.1)" }.joined(separator: " ") }
    return String(format: "far (> 0.3): %.1f%% of samples, mean NLL %.1f; ", 100 * Double(far) / Double(count), farNLL / Double(max(far, 1)))
        + "by |z| <1 <2 <3 ≥3: " + bins(normCounts, allNorm) + "; by angle to boundary <0.01 <0.03 <0.1 ≥0.1: " + bins(angleCounts, allAngle)
}

func report(_ name: String, _ model: PreconditionedNetwork, _ mixture: GaussianMixture, dataNLL: Double, seconds: Double,
            steps: Int, diagnose: Bool, maximumTime: Double = 80) throws {
    let samples = try oneStepSamples(model, count: 4096, maximumTime: maximumTime)
    let (nll, modes) = meanNegativeLogLikelihood(samples, mixture)
    print(String(format: "%-8@ NLL %7.3f (data %.3f, gap %+.3f)  modes %d/8  %.1f s  %d steps", name as NSString, nll, dataNLL,
                 nll - dataNLL, modes, seconds, steps))
    if diagnose {
        print("         " + sampleShape(samples, mixture))
        print("         " + (try errorProfile(model, mixture)))
        print("         " + (try farSamples(model, mixture, maximumTime: maximumTime)))
    }
}

func train(_ learner: some TrainingLearner, steps: Int, logEvery: Int = 0) throws -> Double {
    let start = Date()
    var recent = 0.0
    for k in 0..<steps {
        let report = try learner.trainStep()
        recent += report.metrics["train/loss"] ?? 0
        if logEvery > 0, (k + 1) % logEvery == 0 {
            print(String(format: "    step %6d  loss %.4g  lr %.2e", k + 1, recent / Double(logEvery), report.metrics["train/learning_rate"] ?? 0))
            recent = 0
        }
    }
    return Date().timeIntervalSince(start)
}

func decay(_ name: String?) -> LearningRateDecay {
    guard let name else { return .constant }
    let parts = name.split(separator: ":").map(String.init)
    let phi = parts.count > 1 ? Float(parts[1]) ?? 0 : 0
    switch parts[0] {
    case "cosine": return .cosine(finalFraction: phi)
    case "linear": return .linear(finalFraction: phi)
    default: return .constant
    }
}

func configure(_ method: ConsistencyMethod, scale: Double, settings s: Settings) throws -> ConsistencyTrainingConfiguration {
    let steps = Int(Double(s.int("steps") ?? 4000) * scale)
    var c = try ConsistencyTrainingConfiguration.preset(method, steps: steps, dimension: 2)
    c.network.width = s.int("width") ?? 128
    c.network.depth = s.int("depth") ?? 3
    c.network.dropout = Float(s.double("dropout") ?? 0)
    if let frequency = s.double("emb") { c.network.embedding = .positional(features: 64, maxFrequency: Float(frequency)) }
    c.batchSize = s.int("batch") ?? 512
    c.learningRate = Float(s.double("lr") ?? 1e-3)
    c.learningRateDecay = decay(s.string("decay"))
    c.warmupSteps = s.int("warmup") ?? 0
    if let seed = s.int("seed") { c.seed = UInt64(seed) }
    if let ema = s.double("ema") { c.evaluationAverageRate = ema > 0 ? Float(ema) : nil }
    if let mu = s.double("target") { c.targetNetwork = mu > 0 ? .ema(rate: mu) : .stopGradient }
    if let estimator = s.string("est") { c.estimator = try .named(estimator, referenceSize: s.int("ref")) }
    if let target = s.string("td") { c.target = try .named(target) }
    if let sigma = s.double("sigma") { c.dataStandardDeviation = sigma }
    if let tmax = s.double("tmax") { c.maximumTime = tmax }
    if let opt = s.string("opt") { c.optimizer = opt == "adam" ? .adam : .radam }
    if let metric = s.given("metric") {
        c.metric = try .named(metric, c: s.given("c").flatMap(Double.init))  // a toy default c belongs to the toy metric
    } else if let metric = s.string("metric") {
        c.metric = try .named(metric, c: s.double("c"))
    } else if let constant = s.double("c"), c.metric.constant != nil {
        c.metric = try .named(c.metric.name, c: constant)
    }
    if let weight = s.string("weight") {
        c.weighting = weight == "uniform" ? .uniform : weight == "edm" ? .edm(dataStandardDeviation: 1.4) : .inverseTimeGap
    }
    switch c.pairs {
    case let .consistencyTuning(progression, q, mean, std, stages):
        let stageProgression = try s.string("progression").map { name in
            guard let named = ConsistencyTuningPairSampler.StageProgression(rawValue: name) else {
                throw BadSetting(key: "progression", value: name, expected: "stepwise or continuous")
            }
            return named
        } ?? progression
        c.pairs = .consistencyTuning(progression: stageProgression, shrinkBase: s.double("q") ?? q, logMean: s.double("pmean") ?? mean,
                                     logStandardDeviation: s.double("pstd") ?? std, stageCount: s.double("stages") ?? stages)
    case let .improvedConsistency(s0, s1, mean, std):
        c.pairs = .improvedConsistency(initialScale: s.int("s0") ?? s0, finalScale: s.int("s1") ?? s1, logMean: s.double("pmean") ?? mean,
                                       logStandardDeviation: s.double("pstd") ?? std)
    case let .consistencyModels(s0, s1, fixed, mu0, denominator):
        c.pairs = .consistencyModels(initialScale: s0, finalScale: s1, fixedPointCount: s.int("n") ?? fixed, initialEMARate: mu0,
                                     emaRateDenominator: denominator)
    }
    return c
}

func main() throws {
    let arguments = Array(CommandLine.arguments.dropFirst())
    let positional = arguments.filter { !$0.contains("=") }
    var overrides: [String: String] = [:]
    for argument in arguments where argument.contains("=") {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        overrides[parts[0]] = parts[1]
    }
    let scale = positional.first.flatMap(Double.init) ?? 1
    let only = positional.count > 1 ? positional[1].split(separator: ",").map(String.init) : nil
    let mixture = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
    var stream = RandomStream(seed: 7, purpose: "data-reference", index: 0)
    let data = mixture.sample(count: 4096, stream: &stream)
    let dataNLL = meanNegativeLogLikelihood(data, mixture).nll
    let diffusionSettings = Settings(overrides: overrides, method: "diffusion")
    let diagnose = overrides["diag"] == "1"
    let logEvery = Int(overrides["log"] ?? "0") ?? 0

    let width = diffusionSettings.int("width") ?? 128, depth = diffusionSettings.int("depth") ?? 3
    var diffusionConfiguration = DiffusionPretrainingConfiguration(steps: Int(Double(diffusionSettings.int("dsteps") ?? 4000) * scale),
                                                                   dimension: 2, width: width, depth: depth)
    diffusionConfiguration.batchSize = diffusionSettings.int("dbatch") ?? 512
    if let frequency = diffusionSettings.double("emb") {
        diffusionConfiguration.network.embedding = .positional(features: 64, maxFrequency: Float(frequency))
    }
    diffusionConfiguration.learningRate = Float(diffusionSettings.double("dlr") ?? 2e-3)
    diffusionConfiguration.learningRateDecay = decay(diffusionSettings.string("ddecay"))
    let diffusion = try DiffusionPretrainer(configuration: diffusionConfiguration, distribution: mixture)
    let seconds = try train(diffusion, steps: diffusionConfiguration.steps)
    let teacher = try diffusion.averagedNetwork()
    var heunStream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
    let heun = try EDMHeunSampler(denoiser: teacher, dimension: 2).sample(count: 4096, stream: &heunStream)
    let (heunNLL, heunModes) = meanNegativeLogLikelihood(heun, mixture)
    print(String(format: "EDM Heun-18 NLL %7.3f (gap %+.3f) modes %d/8  %.1f s  %d steps", heunNLL, heunNLL - dataNLL, heunModes, seconds,
                 diffusionConfiguration.steps))
    if diagnose { print("         " + sampleShape(heun, mixture)) }

    for method in ConsistencyMethod.allCases where only == nil || only!.contains(method.rawValue) {
        let settings = Settings(overrides: overrides, method: method.rawValue)
        var configuration = try configure(method, scale: scale, settings: settings)
        if method.startsFromDiffusionModel {
            configuration.network.width = width
            configuration.network.depth = depth
        }
        let initial = method.startsFromDiffusionModel ? teacher : nil
        let learner = try ConsistencyLearner(configuration: configuration, distribution: mixture, initial: initial,
                                             teacher: teacher)
        if diagnose, let initial { try report(method.rawValue + "-init", initial, mixture, dataNLL: dataNLL, seconds: 0, steps: 0, diagnose: true) }
        let seconds = try train(learner, steps: configuration.steps, logEvery: logEvery)
        try report(method.rawValue, learner.online, mixture, dataNLL: dataNLL, seconds: seconds, steps: configuration.steps,
                   diagnose: diagnose, maximumTime: configuration.maximumTime)
        if configuration.evaluationAverageRate != nil {
            try report(method.rawValue + "-ema", try learner.averagedNetwork(), mixture, dataNLL: dataNLL, seconds: seconds,
                       steps: configuration.steps, diagnose: diagnose, maximumTime: configuration.maximumTime)
        }
    }
}

try main()
