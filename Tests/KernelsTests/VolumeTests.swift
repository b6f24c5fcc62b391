import Testing
@testable import Kernels

@Test func parallelForVisitsEveryIndexOnce() {
    let n = 1000
    let hits = VoxelBuffer<Int32>(zeroed: n)
    parallelFor(n, threads: 4) { i in hits.pointer[i] += 1 }
    #expect(hits.array.allSatisfy { $0 == 1 })
}

@Test func byteCountsParse() {
    #expect(parseByteCount("2G") == 2 << 30)
    #expect(parseByteCount("512m") == 512 << 20)
    #expect(parseByteCount("x") == nil)
    #expect(MemoryBudget.bytes([1 << 40, 1 << 40], elementSize: 4) == nil)
}
