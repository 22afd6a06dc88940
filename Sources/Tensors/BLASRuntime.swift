import COpenBLAS
import Foundation

/// OpenBLAS's runtime settings and what it chose on this machine.
///
/// OpenBLAS picks its kernels when the library loads, from the CPU or from an `OPENBLAS_CORETYPE`
/// environment variable; the toolkit respects that choice, records ``coreName`` in provenance and
/// benchmark output, and ``kernelWarning`` says plainly when the kernels are older than the CPU.
public enum BLASRuntime {
    /// Number of threads OpenBLAS uses for large products.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(newValue, 1))) }
    }

    /// The kernel family in use, e.g. "Cooperlake", "SkylakeX", "Haswell".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    /// OpenBLAS's build description (version, threading, dynamic architectures).
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text).trimmingCharacters(in: .whitespaces)
    }

    /// The `OPENBLAS_CORETYPE` override in this process's environment, if any.
    public static var coreTypeOverride: String? { ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] }

    /// A one-line warning when OpenBLAS runs kernels for an older CPU than this one supports (for
    /// example Haswell kernels on an AVX-512 machine, which halves matrix-product speed), else nil.
    public static var kernelWarning: String? {
        let flags = cpuFlags
        let core = coreName.lowercased()
        let avx512Cores = ["skylakex", "cooperlake", "sapphirerapids"]
        let avx2Cores = avx512Cores + ["haswell", "zen", "skylake"]
        var expected: String?
        if flags.contains("avx512f") && !avx512Cores.contains(core) { expected = "AVX-512 (SkylakeX/Cooperlake)" }
        else if flags.contains("avx2") && !avx2Cores.contains(core) { expected = "AVX2 (Haswell or newer)" }
        guard let expected else { return nil }
        let cause = coreTypeOverride.map { " because OPENBLAS_CORETYPE=\($0) is set" } ?? ""
        return "OpenBLAS is using \(coreName) kernels\(cause), but this CPU supports \(expected) kernels; "
            + "matrix products will run slower (unset OPENBLAS_CORETYPE to let OpenBLAS choose)."
    }

    /// The CPU feature flags from /proc/cpuinfo (empty where that file does not exist).
    static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            if let colon = line.firstIndex(of: ":") {
                return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
            }
        }
        return []
    }
}
