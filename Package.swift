// swift-tools-version: 6.1
//
// ConsistencyTD — consistency models as value functions learned by temporal-difference learning.
//
// Compiler flags. Element-wise kernels are written as plain loops that the compiler vectorises; for
// baseline x86-64 they run 10–40× slower than with the machine's own vector units, and `squareRoot()`
// stays a library call unless math errno is off. When this package is the root package (you cloned it
// and run `swift build` here) its targets get `-target-cpu native -Xcc -fno-math-errno`. SwiftPM
// refuses unsafe flags in dependencies, so when the package is checked out as a dependency the flags
// are left out. The environment variable CONSISTENCY_TD_NATIVE overrides the choice: `1` forces the
// flags on, `0` forces them off (for a binary that must run on another CPU).
import Foundation
import PackageDescription

let packageDirectory = Context.packageDirectory
let isCheckedOutAsDependency = packageDirectory.contains("/checkouts/")
    || packageDirectory.contains("/SourcePackages/")
let nativeFlagsWanted: Bool = {
    switch Context.environment["CONSISTENCY_TD_NATIVE"] {
    case "1", "true", "yes": return true
    case "0", "false", "no": return false
    default: return !isCheckedOutAsDependency
    }
}()

let optimisationSettings: [SwiftSetting] = nativeFlagsWanted
    ? [.unsafeFlags(["-target-cpu", "native", "-Xcc", "-fno-math-errno"])]
    : []
let cOptimisationSettings: [CSetting] = nativeFlagsWanted
    ? [.unsafeFlags(["-march=native", "-fno-math-errno"])]
    : []

let package = Package(
    name: "ConsistencyTD",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
        .library(name: "HDF5", targets: ["HDF5"]),
        .library(name: "Environments", targets: ["Environments"]),
        .library(name: "VarianceReduction", targets: ["VarianceReduction"]),
        .library(name: "Replay", targets: ["Replay"]),
        .library(name: "Agents", targets: ["Agents"]),
        .library(name: "Analysis", targets: ["Analysis"]),
        .library(name: "ExperimentKit", targets: ["ExperimentKit"]),
        .library(name: "ConsistencyTD", targets: ["ConsistencyTD"]),
        .executable(name: "consistency-td", targets: ["consistency-td"]),
        .executable(name: "consistency-td-bench", targets: ["Benchmarks"]),
        .executable(name: "consistency-td-checkpoint-bench", targets: ["CheckpointBenchmark"]),
        .executable(name: "consistency-td-exact-value-bench", targets: ["ExactValueBenchmark"]),
        .executable(name: "consistency-td-preset-bench", targets: ["PresetStepBenchmark"]),
        .executable(name: "consistency-td-score-identity-bench", targets: ["ScoreIdentityBenchmark"]),
        .executable(name: "consistency-td-trajectory-bench", targets: ["TrajectoryWriteBenchmark"]),
        .executable(name: "consistency-td-unet-bench", targets: ["UNetStepBenchmark"]),
        .executable(name: "TDTargetAblation", targets: ["TDTargetAblation"]),
        .executable(name: "PaperClaims", targets: ["PaperClaims"]),
        .executable(name: "StepSizeBiasVariance", targets: ["StepSizeBiasVariance"]),
        .executable(name: "ExportTrajectories", targets: ["ExportTrajectories"]),
        .executable(name: "DigitsClassifier", targets: ["DigitsClassifier"]),
        .executable(name: "DigitsConsistency", targets: ["DigitsConsistency"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libhdf5-dev, libdeflate-dev; found through pkg-config).
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]
        ),
        // libdeflate, for encoding HDF5's gzip filter outside libhdf5 (direct chunk writes).
        .systemLibrary(
            name: "CLibdeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]
        ),

        // Numerics.
        .target(
            name: "Tensors",
            dependencies: ["COpenBLAS"],
            swiftSettings: optimisationSettings
        ),
        .target(
            name: "NeuralNetworks",
            dependencies: ["Tensors"],
            swiftSettings: optimisationSettings
        ),

        // Storage: a thin, safe wrapper over libhdf5 that knows nothing about machine learning.
        .target(
            name: "HDF5",
            dependencies: ["CHDF5", "CLibdeflate"],
            swiftSettings: optimisationSettings
        ),
        .target(
            name: "ExperimentKit",
            dependencies: ["HDF5", "Agents", "Analysis", "Environments", "NeuralNetworks", "Tensors", .product(name: "Yams", package: "Yams")],
            swiftSettings: optimisationSettings
        ),

        // The denoising MDP: data distributions with exact denoisers, time grids, solvers, exact values.
        .target(
            name: "Environments",
            dependencies: ["Tensors", "HDF5", .product(name: "Yams", package: "Yams")],
            swiftSettings: optimisationSettings
        ),

        // Score-identity (stable-target) denoiser estimates and minibatch optimal-transport coupling.
        .target(
            name: "VarianceReduction",
            dependencies: ["Tensors", "Environments"],
            swiftSettings: optimisationSettings
        ),

        // Episodes and transitions, the replay buffer, trajectory datasets (compact layout, Minari export).
        .target(
            name: "Replay",
            dependencies: ["Tensors", "HDF5", "Environments"],
            swiftSettings: optimisationSettings
        ),

        // Consistency models as value functions, TD learning, method presets, samplers, checkpoints.
        .target(
            name: "Agents",
            dependencies: ["Tensors", "NeuralNetworks", "HDF5", "Environments", "VarianceReduction", "Replay"],
            swiftSettings: optimisationSettings
        ),

        // Sample-quality metrics (Gaussian-mixture NLL, mode coverage, precision) and target diagnostics.
        .target(
            name: "Analysis",
            dependencies: ["Agents", "Environments", "NeuralNetworks", "Tensors", "HDF5", "VarianceReduction"],
            swiftSettings: optimisationSettings
        ),

        // The umbrella module for scripts (`import ConsistencyTD`) and the command-line tool.
        .target(
            name: "ConsistencyTD",
            dependencies: [
                "Tensors", "NeuralNetworks", "HDF5", "Environments", "VarianceReduction", "Replay", "Agents",
                "Analysis", "ExperimentKit",
            ],
            swiftSettings: optimisationSettings
        ),
        .executableTarget(
            name: "consistency-td",
            dependencies: ["ConsistencyTD", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimisationSettings
        ),

        // Benchmarks (Experiments/Benchmarks): `swift run -c release consistency-td-bench --help`.
        .target(
            name: "AllocationCounter",
            path: "Experiments/Benchmarks/AllocationCounter",
            cSettings: cOptimisationSettings
        ),
        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "Tensors", "NeuralNetworks", "AllocationCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/Benchmarks/ReferenceStep",
            swiftSettings: optimisationSettings
        ),

        .executableTarget(
            name: "CheckpointBenchmark",
            dependencies: ["Agents", "NeuralNetworks"],
            path: "Experiments/Benchmarks/CheckpointIO",
            swiftSettings: optimisationSettings
        ),

        .executableTarget(
            name: "ExactValueBenchmark",
            dependencies: ["Environments", "Tensors"],
            path: "Experiments/Benchmarks/ExactValue",
            swiftSettings: optimisationSettings
        ),

        .executableTarget(
            name: "ScoreIdentityBenchmark",
            dependencies: [
                "Tensors", "VarianceReduction", "AllocationCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/Benchmarks/ScoreIdentity",
            exclude: ["score_identity_jax.py"],
            swiftSettings: optimisationSettings
        ),

        .executableTarget(
            name: "TrajectoryWriteBenchmark",
            dependencies: ["Replay", "HDF5"],
            path: "Experiments/Benchmarks/TrajectoryWrite",
            exclude: ["trajectory_write_h5py.py"],
            swiftSettings: optimisationSettings
        ),

        .executableTarget(
            name: "PresetStepBenchmark",
            dependencies: ["Agents", "Environments", "Tensors"],
            path: "Experiments/Benchmarks/PresetStep",
            swiftSettings: optimisationSettings
        ),

        // One U-Net training step (forward, backward, Adam) at the digits sizes.
        .executableTarget(
            name: "UNetStepBenchmark",
            dependencies: ["NeuralNetworks", "Tensors", "AllocationCounter"],
            path: "Experiments/Benchmarks/UNetStep",
            swiftSettings: optimisationSettings
        ),

        // Experiments: `swift run -c release <Name>`.
        .executableTarget(
            name: "RingOfEight",
            dependencies: ["Agents", "Environments", "Tensors"],
            path: "Experiments/RingOfEight",
            swiftSettings: optimisationSettings
        ),
        .executableTarget(
            name: "TDTargetAblation",
            dependencies: [
                "Agents", "Analysis", "Environments", "HDF5", "NeuralNetworks", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/TDTargetAblation",
            swiftSettings: optimisationSettings
        ),
        .executableTarget(
            name: "PaperClaims",
            dependencies: [
                "Agents", "Analysis", "Environments", "HDF5", "NeuralNetworks", "Tensors", "VarianceReduction",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/PaperClaims",
            swiftSettings: optimisationSettings
        ),
        .executableTarget(
            name: "StepSizeBiasVariance",
            dependencies: [
                "Agents", "Analysis", "Environments", "HDF5", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/StepSizeBiasVariance",
            swiftSettings: optimisationSettings
        ),
        .executableTarget(
            name: "ExportTrajectories",
            dependencies: [
                "Agents", "Environments", "HDF5", "Replay", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/ExportTrajectories",
            swiftSettings: optimisationSettings
        ),
        .executableTarget(
            name: "DigitsClassifier",
            dependencies: [
                "Agents", "Analysis", "Environments", "NeuralNetworks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/DigitsClassifier",
            swiftSettings: optimisationSettings
        ),
        .executableTarget(
            name: "DigitsConsistency",
            dependencies: [
                "Agents", "Analysis", "Environments", "ExperimentKit", "HDF5", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/DigitsConsistency",
            swiftSettings: optimisationSettings
        ),

        // Tests.
        .testTarget(
            name: "TensorsTests",
            dependencies: ["Tensors", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: optimisationSettings
        ),
        .testTarget(
            name: "HDF5Tests",
            dependencies: [
                "HDF5", "H5pyInterop", "CZlib", "CHDF5ChecksumOracle",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
        // Oracles for the chunk-filter tests: libhdf5's exported but undeclared Fletcher-32
        // (H5_checksum_fletcher32), and zlib (zlib1g-dev, which libhdf5-dev depends on) to inflate.
        .systemLibrary(name: "CHDF5ChecksumOracle", path: "Tests/Support/CHDF5ChecksumOracle"),
        .systemLibrary(name: "CZlib", path: "Tests/Support/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .testTarget(
            name: "ExperimentKitTests",
            dependencies: [
                "ExperimentKit", "HDF5", "H5pyInterop", "CZlib", "Agents", "Analysis", "Environments", "NeuralNetworks", "Tensors",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: ["HDF5", "H5pyInterop", "CLIProcess", "TDTargetAblation", "PaperClaims", "StepSizeBiasVariance", "ExportTrajectories", "DigitsConsistency", "Analysis", "Agents", "Environments", "Replay", "TestFolders"],
            swiftSettings: optimisationSettings
        ),
        // Finds a Python with h5py for the interoperability tests (used by test targets only).
        .target(name: "H5pyInterop", path: "Tests/Support/H5pyInterop"),
        .testTarget(
            name: "AgentsTests",
            dependencies: [
                "Agents", "NeuralNetworks", "Tensors", "HDF5", "Environments", "VarianceReduction", "Replay", "H5pyInterop",
                "CLIProcess", "TestFolders", "CheckpointCrashWriter", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
        // Saves checkpoints in a loop until killed: the crash-safety tests kill it mid-write.
        .executableTarget(
            name: "CheckpointCrashWriter",
            dependencies: ["Agents", "NeuralNetworks"],
            path: "Tests/Support/CheckpointCrashWriter",
            swiftSettings: optimisationSettings
        ),
        .testTarget(
            name: "EnvironmentsTests",
            dependencies: ["Environments", "Tensors", "HDF5", "CLIProcess", "TestFolders", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: optimisationSettings
        ),
        // Whole runs: learners with the trainer, resume, bad input, training quality on the ring of 8.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Agents", "Analysis", "Environments", "ExperimentKit", "NeuralNetworks", "Replay", "Tensors", "CLIProcess",
                "TrainingQualityRun",
            ],
            swiftSettings: optimisationSettings
        ),
        // Trains one recipe of the training-quality tests on one OpenBLAS thread: they run it as a child
        // process, one per core at a time.
        .executableTarget(
            name: "TrainingQualityRun",
            dependencies: ["Agents", "Analysis", "Environments", "Tensors"],
            path: "Tests/Support/TrainingQualityRun",
            swiftSettings: optimisationSettings
        ),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "Replay", "Environments", "Tensors", "HDF5", "H5pyInterop", "TrajectoryStreamWriter", "TestFolders",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
        // Streams synthetic episodes into a trajectory dataset and prints its peak RSS (memory-bound test).
        .executableTarget(
            name: "TrajectoryStreamWriter",
            dependencies: ["Replay"],
            path: "Tests/Support/TrajectoryStreamWriter",
            swiftSettings: optimisationSettings
        ),
        // The `consistency-td` binary run as a subprocess: every command end to end, bad input, --help.
        .testTarget(
            name: "CLITests",
            dependencies: ["consistency-td", "CLIProcess", "TestFolders", "HDF5", "Replay", "ExperimentKit", "Agents", "H5pyInterop"],
            swiftSettings: optimisationSettings
        ),
        // Runs the `consistency-td` binary as a child process with a timeout (CLI and reliability tests).
        .target(name: "CLIProcess", dependencies: ["TestFolders"], path: "Tests/Support/CLIProcess"),
        // Temporary folders the tests write into, removed when the test process exits.
        .target(name: "TestFolders", path: "Tests/Support/TestFolders"),
        // Faults, bad input and load: kill -9 and resume, full disk, read-only folders, divergence, a
        // corpus of malformed files and specs, parser fuzzing, run-folder locks, memory over a long run.
        .testTarget(
            name: "ReliabilityTests",
            dependencies: [
                "consistency-td", "CLIProcess", "ExperimentKit", "Agents", "HDF5", "Replay", "Environments", "H5pyInterop",
                "TrajectoryStreamWriter", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
        .testTarget(
            name: "VarianceReductionTests",
            dependencies: [
                "VarianceReduction", "Environments", "Tensors",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
        .testTarget(
            name: "AnalysisTests",
            dependencies: [
                "Analysis", "Agents", "Environments", "Tensors", "HDF5", "NeuralNetworks", "CLIProcess", "TestFolders",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
        .testTarget(
            name: "NeuralNetworksTests",
            dependencies: [
                "NeuralNetworks", "Tensors", "AllocationCounter",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: optimisationSettings
        ),
    ]
)
