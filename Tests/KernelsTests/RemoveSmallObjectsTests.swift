import Testing
@testable import Kernels

@Test func removeSmallObjectsDropsSpecksAndRenumbersInScanOrder() throws {
    // Labels 5 (3 voxels), 2 (1 voxel), 9 (2 voxels), in that scan order.
    let l = Volume(shape: Shape(z: 1, y: 2, x: 4), kind: .labels,
                   storage: .u32(VoxelBuffer([5, 5, 0, 2, 9, 5, 9, 0])))
    let (out, count) = try removeSmallObjects(l, minVoxels: 2)
    #expect(count == 2)
    #expect(out.u32?.array == [1, 1, 0, 0, 2, 1, 2, 0])
    #expect(out.kind == .labels)
    let (all, n) = try removeSmallObjects(l, minVoxels: 4)
    #expect(n == 0)
    #expect(all.u32?.array.allSatisfy { $0 == 0 } == true)
}
