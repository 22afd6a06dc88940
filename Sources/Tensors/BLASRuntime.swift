import COpenBLAS
import Foundation

/// OpenBLAS's runtime settings and what it chose on this machine.
///
/// OpenBLAS picks its kernels when the library loads, from the CPU or from an `OPENBLAS_CORETYPE`
/// environment variable; the toolkit respects an `OPENBLAS_CORETYPE` a user set, replaces a fallback
/// to kernels older than the CPU (``BLASKernelSelection``, done once before the first product),
/// records ``coreName`` in provenance and benchmark output, and ``kernelWarning`` says plainly when
/// the kernels are older than the CPU.
public enum BLASRuntime {
    /// The process's kernel selection, made on first use (thread-safe: a `static let`). Every entry
    /// point into OpenBLAS (products, thread count, core name) goes through ``prepare()`` first.
    public static let kernelSelection = BLASKernelSelection.run()

    /// Makes sure ``kernelSelection`` has run; costs one load after the first call.
    @inline(__always)
    public static func prepare() { _ = kernelSelection }

    /// Number of threads OpenBLAS uses for large products.
    public static var threadCount: Int {
        get { prepare(); return Int(openblas_get_num_threads()) }
        set { prepare(); openblas_set_num_threads(Int32(max(newValue, 1))) }
    }

    /// The kernel family in use, e.g. "Cooperlake", "SkylakeX", "Haswell".
    public static var coreName: String {
        prepare()
        return libraryCoreName
    }

    /// What `openblas_get_corename` says now (without running the selection).
    static var libraryCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    /// OpenBLAS's build description (version, threading, dynamic architectures, the kernel family
    /// chosen), read once after the kernel selection.
    ///
    /// A `static let` because `openblas_get_config` builds its answer in one static buffer with
    /// `strcpy` and `strcat`: two threads calling it at once can get a garbled string (seen in CI as
    /// "… Cooperlake MAX_THREADS=64 MAX_THREADS=64"). Reading it once, under Swift's thread-safe
    /// lazy initialisation, is the only call the process makes.
    public static let configuration: String = {
        prepare()
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text).trimmingCharacters(in: .whitespaces)
    }()

    /// The `OPENBLAS_CORETYPE` override the process started with, if any (not the value the kernel
    /// selection may have set).
    public static var coreTypeOverride: String? { kernelSelection.override }

    /// A one-line warning when OpenBLAS runs kernels for an older CPU than this one supports (for
    /// example Haswell kernels on an AVX-512 machine, which halves matrix-product speed), else nil.
    public static var kernelWarning: String? {
        let flags = cpuFlags
        let level = BLASKernelSelection.level(of: coreName)
        var expected: String?
        if flags.contains("avx512f") && level < 3 { expected = "AVX-512 (SkylakeX/Cooperlake)" }
        else if flags.contains("avx2") && level < 2 { expected = "AVX2 (Haswell or newer)" }
        guard let expected else { return nil }
        let cause = coreTypeOverride.map { "OPENBLAS_CORETYPE=\($0) is set; unset it to let the toolkit choose" }
            ?? "this OpenBLAS does not know the CPU model and its dispatch could not be reset; set OPENBLAS_CORETYPE to a kernel family"
        return "OpenBLAS is using \(coreName) kernels, but this CPU supports \(expected) kernels, so matrix products run slower: \(cause)."
    }

    /// The CPU feature flags from /proc/cpuinfo (empty where that file does not exist).
    public static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            if let colon = line.firstIndex(of: ":") {
                return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
            }
        }
        return []
    }
}
