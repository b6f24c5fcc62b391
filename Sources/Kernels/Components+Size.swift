/// Drops the objects of a label map with fewer than `minVoxels` voxels (specks of a thresholded
/// prediction) and renumbers the rest 1…n in order of their first voxel in scan order.
public func removeSmallObjects(_ labels: Volume, minVoxels: Int) throws -> (labels: Volume, count: Int) {
    guard let src = labels.u32 else {
        throw VolumeError.unsupportedType(operation: "min-voxels", labels.type)
    }
    let n = labels.count
    var maxLabel: UInt32 = 0
    for i in 0..<n where src.pointer[i] > maxLabel { maxLabel = src.pointer[i] }
    try MemoryBudget.check((Int(maxLabel) + 1) * 16, what: "the object sizes of \(maxLabel) labels")
    var sizes = [Int](repeating: 0, count: Int(maxLabel) + 1)
    for i in 0..<n { sizes[Int(src.pointer[i])] &+= 1 }
    var newID = [UInt32](repeating: 0, count: Int(maxLabel) + 1)
    var next: UInt32 = 0
    try MemoryBudget.check(n * 4, what: "a label map of \(labels.shape)")
    let out = VoxelBuffer<UInt32>(uninitialized: n)
    for i in 0..<n {
        let l = Int(src.pointer[i])
        if l != 0 && newID[l] == 0 && sizes[l] >= minVoxels {
            next += 1
            newID[l] = next
        }
        out.pointer[i] = newID[l]
        if i % (1 << 22) == 0 { try Cancellation.check() }
    }
    return (labels.with(storage: .u32(out), kind: .labels), Int(next))
}
