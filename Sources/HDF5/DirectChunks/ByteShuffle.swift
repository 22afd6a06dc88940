/// HDF5's shuffle filter (`H5Z_FILTER_SHUFFLE`), outside libhdf5: a byte-plane transposition.
///
/// A buffer of `count` bytes holds n = ⌊count / s⌋ elements of s bytes (s = the element size). The
/// shuffled buffer puts byte j of every element together, plane after plane:
///
///     shuffled[j·n + i] = original[i·s + j]     for 0 ≤ i < n, 0 ≤ j < s
///
/// and copies the `count mod s` trailing bytes unchanged after the n·s shuffled ones. When s = 1 or
/// n ≤ 1 the filter leaves the bytes as they are (libhdf5 does the same). Unshuffling is the
/// inverse transposition. Both are pure functions, safe to run on any thread.
public enum HDF5ByteShuffle {
    /// Writes the shuffle of `input` into `output` (the same count; the two must not overlap).
    public static func shuffle(_ input: UnsafeRawBufferPointer, elementSize: Int, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count == input.count, "HDF5ByteShuffle: output must have the input's byte count")
        transpose(input, elementSize: elementSize, into: output, shuffling: true)
    }

    /// Writes the unshuffle of `input` (bytes as stored after the shuffle filter) into `output`.
    public static func unshuffle(_ input: UnsafeRawBufferPointer, elementSize: Int, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count == input.count, "HDF5ByteShuffle: output must have the input's byte count")
        transpose(input, elementSize: elementSize, into: output, shuffling: false)
    }

    /// The shuffled bytes of `bytes`.
    public static func shuffled(_ bytes: [UInt8], elementSize: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { output, initialised in
            bytes.withUnsafeBytes { shuffle($0, elementSize: elementSize, into: UnsafeMutableRawBufferPointer(output)) }
            initialised = bytes.count
        }
    }

    /// The unshuffled bytes of `bytes`.
    public static func unshuffled(_ bytes: [UInt8], elementSize: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { output, initialised in
            bytes.withUnsafeBytes { unshuffle($0, elementSize: elementSize, into: UnsafeMutableRawBufferPointer(output)) }
            initialised = bytes.count
        }
    }

    /// One loop for both directions: element-major index i·s + j against plane-major j·n + i.
    private static func transpose(_ input: UnsafeRawBufferPointer, elementSize s: Int,
                                  into output: UnsafeMutableRawBufferPointer, shuffling: Bool) {
        precondition(s >= 1, "HDF5ByteShuffle: the element size must be ≥ 1")
        let count = input.count
        guard count > 0 else { return }
        let n = count / s
        guard s > 1, n > 1 else {
            output.copyMemory(from: input)
            return
        }
        let source = input.bindMemory(to: UInt8.self).baseAddress!
        let target = output.bindMemory(to: UInt8.self).baseAddress!
        for j in 0..<s {
            let plane = j * n
            if shuffling {
                for i in 0..<n { target[plane + i] = source[i * s + j] }
            } else {
                for i in 0..<n { target[i * s + j] = source[plane + i] }
            }
        }
        let tail = n * s
        if tail < count { (target + tail).update(from: source + tail, count: count - tail) }
    }
}
