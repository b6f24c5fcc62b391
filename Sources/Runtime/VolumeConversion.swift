import Kernels

/// The conversions argument coercion applies to volumes.
public enum VolumeConversion {
    /// Non-zero → 1, kind .mask (a mask is returned unchanged).
    public static func toMask(_ v: Volume) throws -> Volume {
        if v.kind == .mask, v.type == .u8 { return v }
        try MemoryBudget.check(v.count, what: "a mask of \(v.shape)")
        let out = VoxelBuffer<UInt8>(uninitialized: v.count)
        let o = out.pointer
        let n = v.count
        let slice = max(1, v.shape.sliceCount)
        func run<T: Numeric>(_ p: UnsafeMutablePointer<T>) {
            parallelFor(v.shape.z) { z in
                let lo = z * slice, hi = min(n, lo + slice)
                for i in lo..<hi { o[i] = p[i] != 0 ? 1 : 0 }
            }
        }
        switch v.storage {
        case .u8(let b): run(b.pointer)
        case .u16(let b): run(b.pointer)
        case .u32(let b): run(b.pointer)
        case .f32(let b): run(b.pointer)
        }
        return v.with(storage: .u8(out), kind: .mask)
    }

    /// Integer volumes → u32 labels; nil for f32.
    public static func toLabels(_ v: Volume) -> Volume? {
        switch v.storage {
        case .u32: return v.kind == .labels ? v : v.with(storage: v.storage, kind: .labels)
        case .u8(let b): return v.with(storage: .u32(widen(b, v.count)), kind: .labels)
        case .u16(let b): return v.with(storage: .u32(widen(b, v.count)), kind: .labels)
        case .f32: return nil
        }
    }

    private static func widen<T: BinaryInteger>(_ b: VoxelBuffer<T>, _ n: Int) -> VoxelBuffer<UInt32> {
        let out = VoxelBuffer<UInt32>(uninitialized: n)
        let src = b.pointer, dst = out.pointer
        for i in 0..<n { dst[i] = UInt32(src[i]) }
        return out
    }

    /// Any volume as f32 (values unchanged).
    public static func toF32(_ v: Volume) throws -> Volume {
        if v.type == .f32 { return v }
        try MemoryBudget.check(v.count * 4, what: "an f32 volume of \(v.shape)")
        let out = VoxelBuffer<Float>(uninitialized: v.count)
        let dst = out.pointer, n = v.count
        switch v.storage {
        case .u8(let b): for i in 0..<n { dst[i] = Float(b.pointer[i]) }
        case .u16(let b): for i in 0..<n { dst[i] = Float(b.pointer[i]) }
        case .u32(let b): for i in 0..<n { dst[i] = Float(b.pointer[i]) }
        case .f32: break
        }
        return v.with(storage: .f32(out), kind: .image)
    }
}
