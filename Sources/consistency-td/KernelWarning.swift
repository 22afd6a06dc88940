import ConsistencyTD
import Foundation

/// BENCHMARK.md §3: the toolkit says once, plainly, when OpenBLAS runs kernels older than the CPU
/// supports (a user's `OPENBLAS_CORETYPE`, or a fallback ``BLASKernelSelection`` could not replace),
/// since every training step then runs several times slower.
enum KernelWarning {
    private static let shown: Void = {
        if let warning = BLASRuntime.kernelWarning {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
    }()

    /// Prints the warning on standard error the first time it is called in the process, if there is one.
    static func showOnce() { _ = shown }
}
