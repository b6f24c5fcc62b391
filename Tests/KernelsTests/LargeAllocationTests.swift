import Testing
@testable import Kernels

/// Voxel buffers of 4 MiB and more come from mmap (2 MiB-aligned, huge pages where allowed).
@Test func largeZeroedBufferIsZeroAlignedAndWritable() {
    let n = 3 << 20  // 12 MiB of UInt32
    let b = VoxelBuffer<UInt32>(zeroed: n)
    #expect(Int(bitPattern: b.pointer) % LargeAllocation.alignment == 0)
    var nonZero = 0
    for i in 0..<n where b.pointer[i] != 0 { nonZero += 1 }
    #expect(nonZero == 0)
    for i in 0..<n { b.pointer[i] = UInt32(truncatingIfNeeded: i &* 2654435761) }
    var bad = 0
    for i in 0..<n where b.pointer[i] != UInt32(truncatingIfNeeded: i &* 2654435761) { bad += 1 }
    #expect(bad == 0)
}

@Test func smallBuffersStayOnTheHeapAndZeroed() {
    let b = VoxelBuffer<Float>(zeroed: 1000)
    #expect(b.array.allSatisfy { $0 == 0 })
    #expect(LargeAllocation.map(count: 1000, stride: 4) == nil)
    #expect(LargeAllocation.map(count: Int.max, stride: 8) == nil)  // overflow: no mapping
}

/// Freed large buffers are cached for reuse by uninitialised buffers only: a zero-filled buffer of
/// the same size allocated after a dirty one was freed is still all zero.
@Test func zeroedBufferIsNeverARecycledDirtyOne() {
    let n = 5 << 20
    do {
        let dirty = VoxelBuffer<UInt8>(uninitialized: n)
        dirty.pointer.initialize(repeating: 0xAB, count: n)
    }
    let again = VoxelBuffer<UInt8>(uninitialized: n)  // may be the dirty mapping: writable either way
    again.pointer.initialize(repeating: 1, count: n)
    let z = VoxelBuffer<UInt8>(zeroed: n)
    var nonZero = 0
    for i in 0..<n where z.pointer[i] != 0 { nonZero += 1 }
    #expect(nonZero == 0)
    #expect(again.pointer[n - 1] == 1)
}
