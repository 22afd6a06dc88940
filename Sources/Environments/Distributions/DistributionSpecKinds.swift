import Foundation

/// The noise range a run uses with a Gaussian-mixture family ("sigma_min", "sigma_max"; defaults
/// 0.002 and 80, METHODS.md §0). Validated as 0 < sigma_min < sigma_max, both finite.
public struct NoiseRange: Sendable, Equatable {
    public var sigmaMin: Double
    public var sigmaMax: Double
    public static let defaultMin = 0.002
    public static let defaultMax = 80.0

    public init(sigmaMin: Double = NoiseRange.defaultMin, sigmaMax: Double = NoiseRange.defaultMax) {
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }

    func validate(kind: String) throws(DistributionSpecError) {
        try ParameterValidation.finite(sigmaMin, kind: kind, field: "sigma_min")
        try ParameterValidation.finite(sigmaMax, kind: kind, field: "sigma_max")
        guard sigmaMin > 0, sigmaMin < sigmaMax else {
            throw .invalidSigmaRange(kind: kind, sigmaMin: sigmaMin, sigmaMax: sigmaMax)
        }
    }
}

/// `{"kind": "gaussian-mixture", "weights": [...K], "means": [[...D], ...K], "stds": [...K],
///   "sigma_min": 0.002, "sigma_max": 80}` — weights, means and stds required; the sigmas default
/// to 0.002 and 80 when absent and are always written.
public struct GaussianMixtureSpec: Codable, Sendable, Equatable {
    public var weights: [Double]
    public var means: [[Double]]
    public var stds: [Double]
    public var noise: NoiseRange

    public init(weights: [Double], means: [[Double]], stds: [Double], noise: NoiseRange = NoiseRange()) {
        self.weights = weights; self.means = means; self.stds = stds; self.noise = noise
    }

    enum CodingKeys: String, CodingKey { case weights, means, stds, sigmaMin = "sigma_min", sigmaMax = "sigma_max" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weights = try c.decode([Double].self, forKey: .weights)
        means = try c.decode([[Double]].self, forKey: .means)
        stds = try c.decode([Double].self, forKey: .stds)
        noise = NoiseRange(sigmaMin: try c.decodeIfPresent(Double.self, forKey: .sigmaMin) ?? NoiseRange.defaultMin,
                           sigmaMax: try c.decodeIfPresent(Double.self, forKey: .sigmaMax) ?? NoiseRange.defaultMax)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weights, forKey: .weights); try c.encode(means, forKey: .means); try c.encode(stds, forKey: .stds)
        try c.encode(noise.sigmaMin, forKey: .sigmaMin); try c.encode(noise.sigmaMax, forKey: .sigmaMax)
    }

    public func makeMixture() throws(DistributionSpecError) -> GaussianMixture {
        let mixture = try GaussianMixture(weights: weights, means: means, standardDeviations: stds)
        try noise.validate(kind: GaussianMixture.kind)
        return mixture
    }
}

/// `{"kind": "ring", "modes": 8, "radius": 4, "std": 0.1, "sigma_min": …, "sigma_max": …}`
/// (``GaussianMixture/ring(modes:radius:std:)``; modes, radius and std required).
public struct RingSpec: Codable, Sendable, Equatable {
    public var modes: Int
    public var radius: Double
    public var std: Double
    public var noise: NoiseRange

    public init(modes: Int, radius: Double, std: Double, noise: NoiseRange = NoiseRange()) {
        self.modes = modes; self.radius = radius; self.std = std; self.noise = noise
    }

    enum CodingKeys: String, CodingKey { case modes, radius, std, sigmaMin = "sigma_min", sigmaMax = "sigma_max" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modes = try c.decode(Int.self, forKey: .modes)
        radius = try c.decode(Double.self, forKey: .radius)
        std = try c.decode(Double.self, forKey: .std)
        noise = NoiseRange(sigmaMin: try c.decodeIfPresent(Double.self, forKey: .sigmaMin) ?? NoiseRange.defaultMin,
                           sigmaMax: try c.decodeIfPresent(Double.self, forKey: .sigmaMax) ?? NoiseRange.defaultMax)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modes, forKey: .modes); try c.encode(radius, forKey: .radius); try c.encode(std, forKey: .std)
        try c.encode(noise.sigmaMin, forKey: .sigmaMin); try c.encode(noise.sigmaMax, forKey: .sigmaMax)
    }
}

/// `{"kind": "grid", "side": 5, "spacing": 2, "std": 0.1, "sigma_min": …, "sigma_max": …}`
/// (``GaussianMixture/grid(side:spacing:std:)``; side, spacing and std required).
public struct GridSpec: Codable, Sendable, Equatable {
    public var side: Int
    public var spacing: Double
    public var std: Double
    public var noise: NoiseRange

    public init(side: Int, spacing: Double, std: Double, noise: NoiseRange = NoiseRange()) {
        self.side = side; self.spacing = spacing; self.std = std; self.noise = noise
    }

    enum CodingKeys: String, CodingKey { case side, spacing, std, sigmaMin = "sigma_min", sigmaMax = "sigma_max" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        side = try c.decode(Int.self, forKey: .side)
        spacing = try c.decode(Double.self, forKey: .spacing)
        std = try c.decode(Double.self, forKey: .std)
        noise = NoiseRange(sigmaMin: try c.decodeIfPresent(Double.self, forKey: .sigmaMin) ?? NoiseRange.defaultMin,
                           sigmaMax: try c.decodeIfPresent(Double.self, forKey: .sigmaMax) ?? NoiseRange.defaultMax)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(side, forKey: .side); try c.encode(spacing, forKey: .spacing); try c.encode(std, forKey: .std)
        try c.encode(noise.sigmaMin, forKey: .sigmaMin); try c.encode(noise.sigmaMax, forKey: .sigmaMax)
    }
}

/// `{"kind": "random-gaussian-mixture", "dimension": D, "modes": K, "seed": 0, "spread": 1,
///   "std": 0.1, "sigma_min": …, "sigma_max": …}` (``GaussianMixture/random(dimension:modes:seed:spread:std:)``;
/// dimension, modes, seed, spread and std required).
public struct RandomMixtureSpec: Codable, Sendable, Equatable {
    public var dimension: Int
    public var modes: Int
    public var seed: UInt64
    public var spread: Double
    public var std: Double
    public var noise: NoiseRange

    public init(dimension: Int, modes: Int, seed: UInt64, spread: Double, std: Double, noise: NoiseRange = NoiseRange()) {
        self.dimension = dimension; self.modes = modes; self.seed = seed; self.spread = spread; self.std = std
        self.noise = noise
    }

    enum CodingKeys: String, CodingKey { case dimension, modes, seed, spread, std, sigmaMin = "sigma_min", sigmaMax = "sigma_max" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimension = try c.decode(Int.self, forKey: .dimension)
        modes = try c.decode(Int.self, forKey: .modes)
        seed = try c.decode(UInt64.self, forKey: .seed)
        spread = try c.decode(Double.self, forKey: .spread)
        std = try c.decode(Double.self, forKey: .std)
        noise = NoiseRange(sigmaMin: try c.decodeIfPresent(Double.self, forKey: .sigmaMin) ?? NoiseRange.defaultMin,
                           sigmaMax: try c.decodeIfPresent(Double.self, forKey: .sigmaMax) ?? NoiseRange.defaultMax)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dimension, forKey: .dimension); try c.encode(modes, forKey: .modes); try c.encode(seed, forKey: .seed)
        try c.encode(spread, forKey: .spread); try c.encode(std, forKey: .std)
        try c.encode(noise.sigmaMin, forKey: .sigmaMin); try c.encode(noise.sigmaMax, forKey: .sigmaMax)
    }
}

/// `{"kind": "checkerboard", "cells": 4, "cell_size": 1}` (both optional, defaults shown).
public struct CheckerboardSpec: Codable, Sendable, Equatable {
    public var cells: Int
    public var cellSize: Double

    public init(cells: Int = 4, cellSize: Double = 1) { self.cells = cells; self.cellSize = cellSize }

    enum CodingKeys: String, CodingKey { case cells, cellSize = "cell_size" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cells = try c.decodeIfPresent(Int.self, forKey: .cells) ?? 4
        cellSize = try c.decodeIfPresent(Double.self, forKey: .cellSize) ?? 1
    }
}

/// `{"kind": "two-moons", "noise": 0.1, "scale": 1}` (both optional, defaults shown).
public struct TwoMoonsSpec: Codable, Sendable, Equatable {
    public var noise: Double
    public var scale: Double

    public init(noise: Double = 0.1, scale: Double = 1) { self.noise = noise; self.scale = scale }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? 0.1
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1
    }
}

/// `{"kind": "swiss-roll", "scale": 0.2, "noise": 0.05}` (both optional, defaults shown).
public struct SwissRollSpec: Codable, Sendable, Equatable {
    public var scale: Double
    public var noise: Double

    public init(scale: Double = 0.2, noise: Double = 0.05) { self.scale = scale; self.noise = noise }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 0.2
        noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? 0.05
    }
}

/// `{"kind": "student-t-mixture", "weights": [...K], "means": [[...D], ...K], "scales": [...K],
///   "degrees_of_freedom": [...K]}` (all required).
public struct StudentTMixtureSpec: Codable, Sendable, Equatable {
    public var weights: [Double]
    public var means: [[Double]]
    public var scales: [Double]
    public var degreesOfFreedom: [Double]

    public init(weights: [Double], means: [[Double]], scales: [Double], degreesOfFreedom: [Double]) {
        self.weights = weights; self.means = means; self.scales = scales; self.degreesOfFreedom = degreesOfFreedom
    }

    enum CodingKeys: String, CodingKey { case weights, means, scales, degreesOfFreedom = "degrees_of_freedom" }
}

/// `{"kind": "empirical", "path": "data/digits.h5", "data": "/data", "labels": "/labels", "split": "/split",
///   "part": "train", "test_fraction": 0.1, "split_seed": 0}` — only `path` is required. `part` says which
/// points of the file are the distribution:
/// - `"all"` (the default without `test_fraction`): every point;
/// - `"train"` or `"test"` without `test_fraction`: that side of the split stored with the file (`split`,
///   default `/split`: N uint8 values, 0 = train, 1 = test; see ``EmpiricalDatasetPart``), so every run
///   trains and evaluates on the same fixed parts;
/// - `"train"` (the default with `test_fraction`) or `"test"` with `test_fraction`: that side of the seeded
///   random split ``EmpiricalDataset/split(testFraction:seed:)`` (`split_seed`, default 0, is used only
///   here); a stored split is then not read.
public struct EmpiricalSpec: Codable, Sendable, Equatable {
    /// The values `part` accepts.
    public static let parts = ["all", "train", "test"]

    public var path: String
    public var dataPath: String
    public var labelsPath: String
    /// The stored split's dataset, read when `part` is "train" or "test" and `testFraction` is nil.
    public var splitPath: String
    public var testFraction: Double?
    public var splitSeed: UInt64
    public var part: String

    /// `part` nil takes its default: "all" without `testFraction`, "train" with it.
    public init(path: String, dataPath: String = "/data", labelsPath: String = "/labels", splitPath: String = "/split",
                testFraction: Double? = nil, splitSeed: UInt64 = 0, part: String? = nil) {
        self.path = path; self.dataPath = dataPath; self.labelsPath = labelsPath; self.splitPath = splitPath
        self.testFraction = testFraction; self.splitSeed = splitSeed
        self.part = part ?? Self.defaultPart(testFraction: testFraction)
    }

    /// "all" without a random split, "train" with one.
    static func defaultPart(testFraction: Double?) -> String { testFraction == nil ? "all" : "train" }

    /// The side of the stored split this spec reads (nil: the whole file, or a random split).
    var storedPart: EmpiricalDatasetPart? { testFraction == nil ? EmpiricalDatasetPart(rawValue: part) : nil }

    enum CodingKeys: String, CodingKey {
        case path, dataPath = "data", labelsPath = "labels", splitPath = "split", testFraction = "test_fraction",
             splitSeed = "split_seed", part
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        dataPath = try c.decodeIfPresent(String.self, forKey: .dataPath) ?? "/data"
        labelsPath = try c.decodeIfPresent(String.self, forKey: .labelsPath) ?? "/labels"
        splitPath = try c.decodeIfPresent(String.self, forKey: .splitPath) ?? "/split"
        testFraction = try c.decodeIfPresent(Double.self, forKey: .testFraction)
        splitSeed = try c.decodeIfPresent(UInt64.self, forKey: .splitSeed) ?? 0
        part = try c.decodeIfPresent(String.self, forKey: .part) ?? Self.defaultPart(testFraction: testFraction)
    }

    func validate() throws(DistributionSpecError) {
        let kind = EmpiricalDataset.kind
        guard !path.isEmpty else { throw .invalidValue(kind: kind, field: "path", reason: "must name an HDF5 file") }
        guard Self.parts.contains(part) else {
            throw .invalidValue(kind: kind, field: "part", reason: "must be \"all\", \"train\" or \"test\", got \"\(part)\"")
        }
        guard !splitPath.isEmpty else {
            throw .invalidValue(kind: kind, field: "split", reason: "must name the file's split dataset (default \"/split\")")
        }
        if let testFraction {
            try ParameterValidation.finite(testFraction, kind: kind, field: "test_fraction")
            guard testFraction > 0, testFraction < 1 else {
                throw .invalidValue(kind: kind, field: "test_fraction", reason: "must be in (0, 1), got \(testFraction)")
            }
            guard part != "all" else {
                throw .invalidValue(kind: kind, field: "part",
                                    reason: "\"all\" keeps every point, but test_fraction splits the file; give part \"train\" or \"test\", or drop test_fraction")
            }
        }
    }
}
