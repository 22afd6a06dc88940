/// A 64-byte-aligned heap array of `Float` (one cache line, one AVX-512 register) that only grows:
/// ``reserve(_:)`` reallocates when asked for more than it holds — the contents are then zero, not
/// kept — so scratch memory reused step after step allocates only until the largest request has been
/// seen, and nothing after warm-up.
public final class GrowableFloatBuffer {
    /// The first element; valid until the next ``reserve(_:)`` that grows the buffer.
    public private(set) var pointer: UnsafeMutablePointer<Float>
    /// Elements the buffer holds.
    public private(set) var capacity: Int

    /// A zero-filled buffer of `capacity` elements (at least one).
    public init(capacity: Int = 1) {
        self.capacity = max(capacity, 1)
        pointer = Self.allocate(self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` elements; grows (zero-filled) only when `count` exceeds ``capacity``.
    public func reserve(_ count: Int) {
        guard count > capacity else { return }
        pointer.deallocate()
        pointer = Self.allocate(count)
        capacity = count
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        pointer.initialize(repeating: 0, count: count)
        return pointer
    }
}
