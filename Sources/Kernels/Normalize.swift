/// The thesis's piecewise-linear intensity map that sends p1 → P1 and p2 → P2:
/// x ≤ p1: x·P1/p1; p1 < x ≤ p2: P1 + (x−p1)(P2−P1)/(p2−p1); x > p2: P2 + (x−p2)(255−P2)/(255−p2).
/// (When p2 ≥ 255, as on u16/f32 data, the middle slope continues above p2.)
@inline(__always) public func normalizeMap(_ x: Double, p1: Double, p2: Double, P1: Double, P2: Double) -> Double {
    if x <= p1 { return x * P1 / p1 }
    if x <= p2 || p2 >= 255 { return P1 + (x - p1) * (P2 - P1) / (p2 - p1) }
    return P2 + (x - p2) * (255 - P2) / (255 - p2)
}

/// The 256-entry table of `normalizeMap` for u8 data without dither: nearest level (halves up), clamped to 0…255.
/// With dither class c (0…15) a voxel gets ⌊T(x) + (c + ½)/16⌋ instead.
public func normalizationTable(p1: Double, p2: Double, P1: Double, P2: Double, ditherClass: Int? = nil) -> [UInt8] {
    let f = ditherClass.map { (Double($0) + 0.5) / 16 } ?? 0.5
    return (0..<256).map { x in UInt8(clampFloor(normalizeMap(Double(x), p1: p1, p2: p2, P1: P1, P2: P2) + f, 255)) }
}

/// Maps every slice's histogram peaks (p1, p2) onto the reference (P1, P2) with the thesis's
/// piecewise-linear map (`normalizeMap`). `peaks` holds one pair for every slice, or one pair per slice.
///
/// u8 volumes stay u8 (through per-slice tables), clamped to 0…255. With `dither` (the default) a
/// mapped value t becomes ⌊t + (c + ½)/16⌋, where the dither class c (0…15) comes from a fixed
/// per-voxel pattern (deterministic, the same for every run; each 16 consecutive voxels hold every
/// class once): ⌊t⌋ + 1 with probability frac(t) to 1/32, so every level keeps its mean and histogram
/// peaks land on P1, P2 to a small fraction of a level, where plain rounding
/// (`dither: false`: nearest level, halves up) shifts a whole slice by up to half a level.
/// For a fixed voxel the map stays monotone. u16 and f32 volumes give f32 (no rounding, no clamping).
/// Requires 0 < p1 < p2 (and p2 < 255 for u8), 0 ≤ P1 < P2 ≤ 255. Label maps are refused.
public func normalize(_ v: Volume, to reference: (Double, Double), peaks: [(Double, Double)], dither: Bool = true) throws -> Volume {
    let (P1, P2) = reference
    let nz = v.shape.z
    guard P1.isFinite, P2.isFinite, P1 >= 0, P1 < P2, P2 <= 255 else {
        throw VolumeError.invalidArgument(operation: "normalize",
            "the reference peaks must satisfy 0 ≤ P1 < P2 ≤ 255, got [\(shortNumber(P1)), \(shortNumber(P2))]")
    }
    guard peaks.count == 1 || peaks.count == nz else {
        throw VolumeError.invalidArgument(operation: "normalize",
            "--peaks needs one pair or one pair per slice (\(nz)), got \(peaks.count)")
    }
    for (z, (p1, p2)) in peaks.enumerated() {
        guard p1.isFinite, p2.isFinite, p1 > 0, p1 < p2, v.type != .u8 || p2 < 255 else {
            throw VolumeError.invalidArgument(operation: "normalize",
                "the peaks\(peaks.count > 1 ? " of slice \(z)" : "") must satisfy 0 < p1 < p2\(v.type == .u8 ? " < 255" : ""), got [\(shortNumber(p1)), \(shortNumber(p2))]")
        }
    }
    if v.kind == .labels || v.type == .u32 {
        throw VolumeError.invalidArgument(operation: "normalize", "a label map cannot be normalised")
    }
    let plane = v.shape.sliceCount
    if case .u8(let b) = v.storage {
        let out = try allocateStorage(.u8, count: v.count, what: "normalize")
        // One 16×256 table per peak pair: row t holds ⌊T(x) + (t + ½)/16⌋ (dither class t), or all rows
        // ⌊T(x) + ½⌋ without dither.
        let tables = VoxelBuffer<UInt8>(uninitialized: peaks.count * 4096)
        for (k, (p1, p2)) in peaks.enumerated() {
            for x in 0..<256 {
                let t = normalizeMap(Double(x), p1: p1, p2: p2, P1: P1, P2: P2)
                for c in 0..<16 {
                    let f = dither ? (Double(c) + 0.5) / 16 : 0.5
                    tables.pointer[k * 4096 + c * 256 + x] = UInt8(clampFloor(t + f, 255))
                }
            }
        }
        let pi = b.pointer, po = out.rawPointer.assumingMemoryBound(to: UInt8.self)
        let tp = tables.pointer, single = peaks.count == 1
        let pattern = DitherPattern.shared.pointer
        try parallelSlices(nz) { z in
            applyDitheredTable(tp + (single ? 0 : z * 4096), pattern, pi + z * plane, po + z * plane, plane)
        }
        withExtendedLifetime(tables) {}
        return v.with(storage: out, kind: .image)
    }
    let out = try allocateStorage(.f32, count: v.count, what: "normalize")
    try v.storage.visit(NormalizeVisitor(plane: plane, nz: nz, peaks: peaks, P1: P1, P2: P2,
                                         out: out.rawPointer.assumingMemoryBound(to: Float.self)))
    return v.with(storage: out, kind: .image)
}

@inline(__always) func clampFloor(_ d: Double, _ hi: Double) -> Double {
    if !(d > 0) { return 0 }
    return d >= hi ? hi : d.rounded(.down)
}

/// 4096 dither classes (0…15, one byte each): each aligned run of 16 is a permutation of the
/// classes, so every 16 voxels of one level round up exactly the expected share (to 1/16).
final class DitherPattern: Sendable {
    static let shared = DitherPattern()
    let storage: VoxelBuffer<UInt8>
    var pointer: UnsafeMutablePointer<UInt8> { storage.pointer }
    private init() {
        storage = VoxelBuffer(uninitialized: 4096)
        var rng = SplitMix64(seed: 0x5EED_D17E)
        for block in 0..<256 {
            var perm = (0..<16).map { UInt8($0) }
            for i in stride(from: 15, to: 0, by: -1) {
                perm.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            for i in 0..<16 { storage.pointer[block * 16 + i] = perm[i] }
        }
    }
}

/// dst[j] = table[pattern[j mod 4096]·256 + src[j]], 8 voxels per step (one 8-byte load of source
/// and of classes each, the 16-bit table indices of 4 lanes formed at once in each of two words).
@inline(__always) func applyDitheredTable(_ t: UnsafePointer<UInt8>, _ d: UnsafePointer<UInt8>, _ src: UnsafePointer<UInt8>,
                                          _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) {
    let words = n / 8
    let rs = UnsafeRawPointer(src), rd = UnsafeMutableRawPointer(dst), rp = UnsafeRawPointer(d)
    let m: UInt64 = 0x00ff_00ff_00ff_00ff
    for w in 0..<words {
        let x = rs.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)
        let c = rp.loadUnaligned(fromByteOffset: (w * 8) & 4095, as: UInt64.self)
        let even = (x & m) | ((c & m) << 8)       // lanes 0, 2, 4, 6: class << 8 | value
        let odd = ((x >> 8) & m) | (c & ~m)       // lanes 1, 3, 5, 7
        var y = UInt64(t[Int(even & 0xffff)])
        y |= UInt64(t[Int(odd & 0xffff)]) << 8
        y |= UInt64(t[Int((even >> 16) & 0xffff)]) << 16
        y |= UInt64(t[Int((odd >> 16) & 0xffff)]) << 24
        y |= UInt64(t[Int((even >> 32) & 0xffff)]) << 32
        y |= UInt64(t[Int((odd >> 32) & 0xffff)]) << 40
        y |= UInt64(t[Int(even >> 48)]) << 48
        y |= UInt64(t[Int(odd >> 48)]) << 56
        rd.storeBytes(of: y, toByteOffset: w * 8, as: UInt64.self)
    }
    for j in (words * 8)..<n { dst[j] = t[Int(d[j & 4095]) << 8 | Int(src[j])] }
}

private struct NormalizeVisitor: StorageVisitor {
    let plane: Int, nz: Int
    let peaks: [(Double, Double)]
    let P1: Double, P2: Double
    let out: UnsafeMutablePointer<Float>
    func visit<T: VoxelScalar>(_ p: UnsafeMutablePointer<T>, count: Int) throws {
        let plane = self.plane, out = self.out, peaks = self.peaks, P1 = self.P1, P2 = self.P2
        try parallelSlices(nz) { z in
            let (p1, p2) = peaks.count == 1 ? peaks[0] : peaks[z]
            let base = z * plane
            for i in base..<(base + plane) {
                out[i] = Float(normalizeMap(p[i].doubleValue, p1: p1, p2: p2, P1: P1, P2: P2))
            }
        }
    }
}
