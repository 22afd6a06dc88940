import Foundation
import Synchronization
import Testing
import Tensors

@Suite("Tensor storage")
struct TensorTests {
    @Test("row-major layout, matrix subscripts and copies")
    func layout() throws {
        let t = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(t[1, 0] == 4 && t[0, 2] == 3)
        #expect(t.rows == 2 && t.elementsPerRow == 3 && t.rank == 2)
        let copy = t.copy()
        t[0] = 100
        #expect(copy[0] == 1)
        try copy.assign(t)
        #expect(copy[0] == 100)
        #expect(throws: TensorError.self) { try copy.assign(try Tensor(zeros: [3, 2])) }
        let scalar = try Tensor(shape: [], values: [7])
        #expect(scalar.count == 1 && scalar.rows == 1)
    }

    @Test("resizing within capacity reuses the storage; growing reallocates")
    func resizeReusesStorage() throws {
        let t = try Tensor(zeros: [4, 8])
        let original = t.data
        try t.resize(to: [2, 8])
        #expect(t.data == original && t.count == 16)
        try t.resize(rows: 4, columns: 8)
        #expect(t.data == original && t.shape == [4, 8])
        try t.resize(like: [9, 2, 2], rows: 8)
        #expect(t.data == original && t.shape == [8, 2, 2])
        try t.resize(to: [64, 2])
        #expect(t.count == 128 && t.capacity >= 128)
    }

    @Test("invalid shapes and value counts are rejected with clear messages")
    func invalidInput() {
        #expect(throws: TensorError.self) { try Tensor(zeros: [2, -1]) }
        do {
            _ = try Tensor(shape: [2, 2], values: [1, 2, 3])
            Issue.record("a 3-value [2, 2] tensor must be rejected")
        } catch {
            #expect(error.description.contains("4 elements") && error.description.contains("3 values"))
        }
        #expect(throws: TensorError.self) { try Tensor(zeros: [Int.max, 4]) }
    }
}

@Suite("im2col and col2im")
struct Im2ColTests {
    @Test("im2col matches the definition, with padding and stride 2")
    func im2colDefinition() throws {
        let g = try ConvolutionGeometry(channels: 2, height: 5, width: 4, kernelSize: 3, stride: 2, padding: 1)
        #expect(g.outputHeight == 3 && g.outputWidth == 2)
        let image = (0..<g.imageSize).map { Float($0) + 1 }
        var columns = [Float](repeating: -1, count: g.patchSize * g.outputPositions)
        im2col(image, geometry: g, columns: &columns)
        for c in 0..<2 { for i in 0..<3 { for j in 0..<3 { for y in 0..<3 { for x in 0..<2 {
            let sourceY = y * 2 - 1 + i, sourceX = x * 2 - 1 + j
            let expected: Float = (0..<5).contains(sourceY) && (0..<4).contains(sourceX) ? image[(c * 5 + sourceY) * 4 + sourceX] : 0
            #expect(columns[((c * 3 + i) * 3 + j) * 6 + y * 2 + x] == expected)
        } } } } }
    }

    @Test("col2im is the adjoint of im2col: ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩")
    func adjoint() throws {
        for (stride, padding) in [(1, 0), (1, 1), (2, 1), (2, 0)] {
            let g = try ConvolutionGeometry(channels: 3, height: 6, width: 7, kernelSize: 3, stride: stride, padding: padding)
            let x = try randomTensor([g.imageSize], seed: 1), y = try randomTensor([g.patchSize * g.outputPositions], seed: 2)
            let columns = try Tensor(zeros: [g.patchSize * g.outputPositions]), folded = try Tensor(zeros: [g.imageSize])
            im2col(x.data, geometry: g, columns: columns.data)
            col2im(y.data, geometry: g, image: folded.data)
            let left = Kernels.dot(columns.data, y.data, count: columns.count)
            let right = Kernels.dot(x.data, folded.data, count: x.count)
            #expect(abs(left - right) < 1e-4 * (1 + abs(left)))
        }
    }

    @Test("impossible geometries are rejected at construction")
    func invalidGeometry() {
        #expect(throws: TensorError.self) { try ConvolutionGeometry(channels: 1, height: 4, width: 4, kernelSize: 3, stride: 0, padding: 0) }
        #expect(throws: TensorError.self) { try ConvolutionGeometry(channels: 0, height: 4, width: 4, kernelSize: 3, stride: 1, padding: 0) }
        #expect(throws: TensorError.self) { try ConvolutionGeometry(channels: 1, height: 2, width: 2, kernelSize: 5, stride: 1, padding: 0) }
        #expect(throws: TensorError.self) { try ConvolutionGeometry(channels: 1, height: 4, width: 4, kernelSize: 3, stride: 1, padding: -1) }
    }
}

@Suite("OpenBLAS runtime")
struct BLASRuntimeTests {
    /// The setter runs in a child process (an exit test): OpenBLAS's thread count is process-wide, and
    /// other tests in this process compare two runs of a training bit for bit while this one runs.
    @Test("the thread count reads back what was set (0 is clamped to 1), and the core name is known")
    func threadsAndCore() async {
        await #expect(processExitsWith: .success) {
            let other = BLASRuntime.threadCount == 1 ? 2 : 1
            BLASRuntime.threadCount = other
            guard BLASRuntime.threadCount == other else { exit(1) }
            BLASRuntime.threadCount = 0
            guard BLASRuntime.threadCount == 1 else { exit(2) }
        }
        #expect(!BLASRuntime.coreName.isEmpty && BLASRuntime.coreName != "unknown")
        #expect(BLASRuntime.configuration.contains("OpenBLAS"))
    }

    /// OpenBLAS writes its configuration string into one static buffer on every call, so concurrent
    /// callers could read a garbled string (CI once saw "MAX_THREADS=64" twice). The first reads happen
    /// here, in a child process, from eight threads at once.
    @Test("the OpenBLAS configuration read from eight threads at once is one well-formed string")
    func configurationIsStableUnderConcurrentReads() async {
        await #expect(processExitsWith: .success) {
            let seen = Mutex(Set<String>())
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                var local = Set<String>()
                for _ in 0..<2_000 { local.insert(BLASRuntime.configuration) }
                seen.withLock { $0.formUnion(local) }
            }
            let values = seen.withLock { $0 }
            guard values.count == 1, let configuration = values.first else { exit(1) }
            guard configuration.components(separatedBy: "MAX_THREADS=").count <= 2,
                  configuration.contains(BLASRuntime.coreName) else { exit(2) }
        }
    }

    @Test("the newest kernel family the CPU flags allow: Cooperlake with AVX-512 BF16, SkylakeX with AVX-512 F/CD/BW/DQ/VL, Haswell with AVX2 + FMA")
    func bestCoreFromFlags() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        #expect(BLASKernelSelection.bestCore(flags: avx512.union(["avx512_bf16", "avx512_fp16"])) == "Cooperlake")
        #expect(BLASKernelSelection.bestCore(flags: avx512) == "SkylakeX")
        #expect(BLASKernelSelection.bestCore(flags: avx512.subtracting(["avx512vl"])) == "Haswell")
        #expect(BLASKernelSelection.bestCore(flags: ["sse3", "avx", "avx2"]) == nil, "AVX2 without FMA has no Haswell kernels")
        #expect(BLASKernelSelection.bestCore(flags: []) == nil)
        #expect(["Prescott", "Sandybridge", "unknown"].map(BLASKernelSelection.level(of:)) == [1, 1, 1])
        #expect(["Haswell", "ZEN", "SkylakeX", "COOPERLAKE"].map(BLASKernelSelection.level(of:)) == [2, 2, 3, 3])
    }

    /// On a CPU the library does not know (Debian's OpenBLAS 0.3.21 on an Emerald Rapids Xeon falls
    /// back to Prescott kernels), this is the check that the toolkit put the CPU's kernels in place.
    @Test("without a user's OPENBLAS_CORETYPE, the kernels in use are as new as the CPU's flags allow, and no warning is due")
    func kernelsMatchTheCPU() throws {
        let selection = BLASRuntime.kernelSelection
        if let override = selection.override {
            print("note: OPENBLAS_CORETYPE=\(override) was set when this test process started; the kernel selection left it alone")
            #expect(!selection.replacedLibraryChoice)
            return
        }
        #expect(BLASRuntime.coreName == selection.inUse)
        if let best = BLASKernelSelection.bestCore(flags: BLASRuntime.cpuFlags) {
            #expect(BLASKernelSelection.level(of: selection.inUse) >= BLASKernelSelection.level(of: best),
                    "OpenBLAS chose \(selection.libraryChoice), the toolkit left \(selection.inUse), the CPU supports \(best)")
        }
        #expect(BLASRuntime.kernelWarning == nil, "\(BLASRuntime.kernelWarning ?? "")")
        #expect(selection.replacedLibraryChoice == (ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == selection.inUse))
    }
}
