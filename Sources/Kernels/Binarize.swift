/// The mask of a volume's non-zero voxels: u8 0/1, kind `.mask`, same shape and spacing.
/// This is the one rule for reading any volume as a mask (`load --mask` and mask arguments).
public func binarize(_ v: Volume) throws -> Volume {
    try MemoryBudget.check(v.count, what: "a \(v.shape) mask")
    let out = VoxelBuffer<UInt8>(uninitialized: v.count)
    let dst = out.pointer
    let plane = max(1, v.shape.sliceCount)
    func run<T: Equatable & Sendable>(_ src: UnsafeMutablePointer<T>, _ zero: T) {
        parallelFor(v.count / plane) { z in
            let base = z * plane
            for i in base..<(base + plane) { dst[i] = src[i] == zero ? 0 : 1 }
        }
    }
    switch v.storage {
    case .u8(let b): run(b.pointer, 0)
    case .u16(let b): run(b.pointer, 0)
    case .u32(let b): run(b.pointer, 0)
    case .f32(let b): run(b.pointer, 0)
    }
    return v.with(storage: .u8(out), kind: .mask)
}
