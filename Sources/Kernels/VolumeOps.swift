import _Platform
/// The sub-volume `z × y × x` (half-open ranges, already resolved). Keeps spacing, kind and type.
public func crop(_ v: Volume, z: Range<Int>? = nil, y: Range<Int>? = nil, x: Range<Int>? = nil) throws -> Volume {
    let zr = z ?? 0..<v.shape.z, yr = y ?? 0..<v.shape.y, xr = x ?? 0..<v.shape.x
    for (name, r, n) in [("z", zr, v.shape.z), ("y", yr, v.shape.y), ("x", xr, v.shape.x)] {
        guard r.lowerBound >= 0, r.upperBound <= n, !r.isEmpty else {
            throw VolumeError.invalidArgument(operation: "crop",
                "\(name) range \(r.lowerBound):\(r.upperBound) is empty or outside 0:\(n)")
        }
    }
    let shape = Shape(z: zr.count, y: yr.count, x: xr.count)
    let out = try allocateStorage(v.type, count: shape.count, what: "crop")
    let es = v.type.byteSize
    let src = UnsafeRawPointer(v.storage.rawPointer), dst = out.rawPointer
    let sx = v.shape.x, sy = v.shape.y
    try parallelSlices(shape.z) { k in
        for j in 0..<shape.y {
            let from = (((zr.lowerBound + k) * sy + yr.lowerBound + j) * sx + xr.lowerBound) * es
            let to = ((k * shape.y + j) * shape.x) * es
            (dst + to).copyMemory(from: src + from, byteCount: shape.x * es)
        }
    }
    return Volume(shape: shape, spacing: v.spacing, kind: v.kind, storage: out)
}

/// Slices `start:end` along z (Python-style: end exclusive, negatives from the end, nil = open).
public func slices(_ v: Volume, _ start: Int?, _ end: Int?) throws -> Volume {
    let range = IndexRange(start, end)
    guard let r = range.resolve(count: v.shape.z) else {
        throw VolumeError.invalidArgument(operation: "slices", range.problem(count: v.shape.z))
    }
    return try crop(v, z: r)
}

/// Concatenates volumes along z. All must share y×x, voxel type and kind; the spacing is the first's.
public func stack(_ volumes: [Volume]) throws -> Volume {
    guard let first = volumes.first else {
        throw VolumeError.invalidArgument(operation: "stack", "needs at least one volume")
    }
    var z = 0
    for v in volumes {
        guard v.shape.y == first.shape.y, v.shape.x == first.shape.x else {
            throw VolumeError.invalidArgument(operation: "stack",
                "slices differ in size: \(first.shape.y)×\(first.shape.x) and \(v.shape.y)×\(v.shape.x)")
        }
        guard v.type == first.type else {
            throw VolumeError.invalidArgument(operation: "stack",
                "voxel types differ: \(first.type.rawValue) and \(v.type.rawValue)")
        }
        z += v.shape.z
    }
    let shape = Shape(z: z, y: first.shape.y, x: first.shape.x)
    let out = try allocateStorage(first.type, count: shape.count, what: "stack")
    var offset = 0
    for v in volumes {
        try Cancellation.check()
        let bytes = v.byteCount
        (out.rawPointer + offset).copyMemory(from: UnsafeRawPointer(v.storage.rawPointer), byteCount: bytes)
        offset += bytes
    }
    let kind = volumes.allSatisfy { $0.kind == first.kind } ? first.kind : .image
    return Volume(shape: shape, spacing: first.spacing, kind: kind, storage: out)
}

/// Inverts intensities: u8 → 255 − x, u16 → 65535 − x, a mask → 1 − x (0/1),
/// f32 → 1 − x when every value lies in [0, 1] (probabilities), else max + min − x.
/// Label maps (u32) are refused (use `not` for the background mask).
public func invert(_ v: Volume) throws -> Volume {
    let n = v.count
    switch v.storage {
    case .u8(let b):
        let out = try allocateStorage(.u8, count: n, what: "invert")
        let po = out.rawPointer.assumingMemoryBound(to: UInt8.self), pi = b.pointer
        if v.kind == .mask {
            try parallelBlocks(n) { r in for i in r { po[i] = pi[i] == 0 ? 1 : 0 } }
        } else {
            try parallelBlocks(n) { r in for i in r { po[i] = 255 &- pi[i] } }
        }
        return v.with(storage: out)
    case .u16(let b):
        let out = try allocateStorage(.u16, count: n, what: "invert")
        let po = out.rawPointer.assumingMemoryBound(to: UInt16.self), pi = b.pointer
        try parallelBlocks(n) { r in for i in r { po[i] = 65535 &- pi[i] } }
        return v.with(storage: out)
    case .f32(let b):
        let (lo, hi) = try minMax(v)
        let c: Float = (lo >= 0 && hi <= 1) ? 1 : Float(lo + hi)
        let out = try allocateStorage(.f32, count: n, what: "invert")
        let po = out.rawPointer.assumingMemoryBound(to: Float.self), pi = b.pointer
        try parallelBlocks(n) { r in for i in r { po[i] = c - pi[i] } }
        return v.with(storage: out)
    case .u32:
        throw VolumeError.invalidArgument(operation: "invert", "a label map cannot be inverted (`not $labels` gives its background)")
    }
}

/// The smallest and largest voxel values (NaN ignored; (0, 0) for an all-NaN volume).
/// With `finiteOnly`, infinite voxels are left out as well as NaN; (0, 0) when nothing is left.
public func minMax(_ v: Volume, finiteOnly: Bool = false) throws -> (Double, Double) {
    try v.storage.visit(MinMaxVisitor(shape: v.shape, finiteOnly: finiteOnly))
}

private struct MinMaxVisitor: StorageVisitor {
    let shape: Shape
    let finiteOnly: Bool
    func visit<T: VoxelScalar>(_ p: UnsafeMutablePointer<T>, count: Int) throws -> (Double, Double) {
        let blocks = max(1, (count + (1 << 18) - 1) >> 18)
        let los = VoxelBuffer<Float>(uninitialized: blocks), his = VoxelBuffer<Float>(uninitialized: blocks)
        let pl = los.pointer, ph = his.pointer
        try parallelBlocks(count, block: 1 << 18) { r in
            var lo = Float.infinity, hi = -Float.infinity
            let finiteOnly = self.finiteOnly
            for i in r {
                let f = p[i].floatValue
                if finiteOnly && !f.isFinite { continue }
                lo = Swift.min(lo, f)
                hi = Swift.max(hi, f)
            }
            pl[r.lowerBound >> 18] = lo
            ph[r.lowerBound >> 18] = hi
        }
        if count == 0 { return (0, 0) }
        var lo = Float.infinity, hi = -Float.infinity
        for i in 0..<blocks { lo = Swift.min(lo, pl[i]); hi = Swift.max(hi, ph[i]) }
        withExtendedLifetime((los, his)) {}
        if lo > hi { return (0, 0) }
        if T.self == UInt32.self {
            // Float loses precision above 2^24: recompute exactly for labels.
            var l = UInt64.max, h = UInt64(0)
            for i in 0..<count { let u = UInt64(p[i].doubleValue); l = Swift.min(l, u); h = Swift.max(h, u) }
            return (Double(l), Double(h))
        }
        return (Double(lo), Double(hi))
    }
}

/// Converts a volume to another voxel type. Values are rounded to the nearest integer and
/// clamped to the target's range (u8 0…255, u16 0…65535, u32 0…2³²−1; NaN → 0); to f32 is exact
/// for u8/u16 and for labels below 2²⁴. The result is an image (a mask converted to u8 stays a mask,
/// u32 results are labels).
public func convert(_ v: Volume, to type: VoxelType) throws -> Volume {
    if type == v.type { return v }
    let out = try allocateStorage(type, count: v.count, what: "conversion to \(type.rawValue)")
    try v.storage.visit(ConvertVisitor(out: out))
    let kind: VolumeKind = type == .u32 ? .labels : (type == .u8 && v.kind == .mask ? .mask : .image)
    return v.with(storage: out, kind: kind)
}

private struct ConvertVisitor: StorageVisitor {
    let out: VoxelStorage
    func visit<T: VoxelScalar>(_ p: UnsafeMutablePointer<T>, count: Int) throws {
        switch out {
        case .f32(let o):
            let po = o.pointer
            try parallelBlocks(count) { r in for i in r { po[i] = p[i].floatValue } }
        case .u8(let o):
            let po = o.pointer
            try parallelBlocks(count) { r in for i in r { po[i] = UInt8(clampRound(p[i].doubleValue, 255)) } }
        case .u16(let o):
            let po = o.pointer
            try parallelBlocks(count) { r in for i in r { po[i] = UInt16(clampRound(p[i].doubleValue, 65535)) } }
        case .u32(let o):
            let po = o.pointer
            try parallelBlocks(count) { r in for i in r { po[i] = UInt32(clampRound(p[i].doubleValue, 4294967295)) } }
        }
    }
}

@inline(__always) func clampRound(_ d: Double, _ hi: Double) -> Double {
    if !(d > 0) { return 0 }  // also NaN
    if d >= hi { return hi }
    return (d + 0.5).rounded(.down)
}
