import Testing
@testable import Tensors

@Suite("GrowableFloatBuffer: grow-only, zero-filled, aligned scratch")
struct GrowableFloatBufferTests {
    @Test("reserve grows only past the capacity, the new memory is zero and 64-byte aligned, smaller requests keep the buffer")
    func growsOnlyWhenNeeded() {
        let buffer = GrowableFloatBuffer(capacity: 4)
        #expect(buffer.capacity == 4)
        buffer.pointer[3] = 7
        let first = buffer.pointer
        buffer.reserve(4)
        #expect(buffer.pointer == first && buffer.pointer[3] == 7)
        buffer.reserve(1000)
        #expect(buffer.capacity == 1000)
        #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
        #expect((0..<1000).allSatisfy { buffer.pointer[$0] == 0 })
        let grown = buffer.pointer
        buffer.reserve(10)
        #expect(buffer.pointer == grown && buffer.capacity == 1000)
        #expect(GrowableFloatBuffer(capacity: 0).capacity == 1)
    }
}
