import COpenBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The kernel family OpenBLAS runs, chosen once per process before the first matrix product.
///
/// OpenBLAS picks its kernels when the library loads, from the CPU's family and model (or from
/// `OPENBLAS_CORETYPE`). A release that does not know the CPU model falls back to its oldest x86-64
/// kernels: Debian's OpenBLAS 0.3.21 runs Prescott (SSE3) kernels on an Emerald Rapids Xeon
/// (family 6, model 207), measured here at 16 GFLOP/s for a 512³ `sgemm` on one core against 148
/// with the Cooperlake kernels the CPU supports. So, before the first product, the toolkit compares
/// OpenBLAS's choice with the CPU's feature flags and, only when `OPENBLAS_CORETYPE` is unset and
/// the library chose kernels for an older instruction set than the CPU has, selects the newest
/// family the flags allow (``bestCore(flags:)``): it sets `OPENBLAS_CORETYPE` in the process's
/// environment (child processes inherit it) and reinitialises OpenBLAS's dispatch table
/// (`gotoblas_dynamic_quit` then `gotoblas_dynamic_init`, the functions that ran at load, found
/// with `dlsym`; a build without them keeps its choice). A user's `OPENBLAS_CORETYPE` is always
/// respected. The outcome is deterministic for a given machine and library, so "same binary, same
/// machine, same threads: same bits" holds; ``BLASRuntime/kernelWarning`` still reports kernels left
/// older than the CPU.
public struct BLASKernelSelection: Sendable, Equatable {
    /// What OpenBLAS chose at load, e.g. "Prescott".
    public let libraryChoice: String
    /// The kernels in use after the selection, e.g. "Cooperlake".
    public let inUse: String
    /// `OPENBLAS_CORETYPE` as the process found it (nil when unset): a user's override.
    public let override: String?

    /// Whether the toolkit replaced OpenBLAS's own choice.
    public var replacedLibraryChoice: Bool { inUse != libraryChoice }

    /// The instruction-set level of a kernel family: 3 AVX-512, 2 AVX2, 1 anything older or unknown.
    public static func level(of core: String) -> Int {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": 3
        case "haswell", "zen", "skylake": 2
        default: 1
        }
    }

    /// The newest kernel family of OpenBLAS 0.3.x that CPU feature flags (as in /proc/cpuinfo)
    /// support: Cooperlake for AVX-512 with BF16, SkylakeX for AVX-512 F/CD/BW/DQ/VL, Haswell for
    /// AVX2 with FMA; nil otherwise.
    public static func bestCore(flags: Set<String>) -> String? {
        if flags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) {
            return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// Runs the selection (see the type's documentation). Call once, through ``BLASRuntime/kernelSelection``.
    static func run() -> BLASKernelSelection {
        let libraryChoice = BLASRuntime.libraryCoreName
        let override = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        guard override == nil, let best = bestCore(flags: BLASRuntime.cpuFlags), level(of: best) > level(of: libraryChoice),
              let reinitialise = dynamicDispatchReset() else {
            return BLASKernelSelection(libraryChoice: libraryChoice, inUse: libraryChoice, override: override)
        }
        setenv("OPENBLAS_CORETYPE", best, 1)
        reinitialise()
        let inUse = BLASRuntime.libraryCoreName
        guard level(of: inUse) > level(of: libraryChoice) else {
            // The library did not take the family: go back to its own choice.
            unsetenv("OPENBLAS_CORETYPE")
            reinitialise()
            return BLASKernelSelection(libraryChoice: libraryChoice, inUse: BLASRuntime.libraryCoreName, override: nil)
        }
        return BLASKernelSelection(libraryChoice: libraryChoice, inUse: inUse, override: nil)
    }

    /// `gotoblas_dynamic_quit` followed by `gotoblas_dynamic_init` (which reads `OPENBLAS_CORETYPE`
    /// again), or nil when this OpenBLAS was built without runtime dispatch.
    private static func dynamicDispatchReset() -> (() -> Void)? {
        typealias Function = @convention(c) () -> Void
        guard let quit = dlsym(nil, "gotoblas_dynamic_quit"), let initialise = dlsym(nil, "gotoblas_dynamic_init") else {
            return nil
        }
        let quitFunction = unsafeBitCast(quit, to: Function.self), initialiseFunction = unsafeBitCast(initialise, to: Function.self)
        return {
            quitFunction()
            initialiseFunction()
        }
    }
}
