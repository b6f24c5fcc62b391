import _Platform
import KernelsSIMD

/// The thesis's piecewise-linear intensity map that sends p1 → P1 and p2 → P2:
/// x ≤ p1: x·P1/p1; p1 < x ≤ p2: P1 + (x−p1)(P2−P1)/(p2−p1); x > p2: P2 + (x−p2)(255−P2)/(255−p2).
/// (When p2 ≥ 255, as on u16/f32 data, the middle slope continues above p2.)
@inline(__always) public func normalizeMap(_ x: Double, p1: Double, p2: Double, P1: Double, P2: Double) -> Double {
    if x <= p1 { return x * P1 / p1 }
    if x <= p2 || p2 >= 255 { return P1 + (x - p1) * (P2 - P1) / (p2 - p1) }
    return P2 + (x - p2) * (255 - P2) / (255 - p2)
}

/// The fixed-point form of `normalizeMap` that u8 volumes are mapped through (`emsh_norm_map`):
/// T(x) in units of 2^-shift levels, one 16-bit multiply-high and add per segment, evaluated 16 or 32
/// voxels at a time by the vector kernels. It stays within 1.5/2^shift of a level of the exact map.
/// nil when that cannot hold (a slope of 8 levels per level or more) or the fixed-point map would not
/// be monotone; the exact table (`exactNormalizationTable`) is used then.
func fixedPointNormalizeMap(p1: Double, p2: Double, P1: Double, P2: Double) -> emsh_norm_map? {
    guard p1 > 0, p1 < p2, p2 < 255, P1 >= 0, P1 < P2, P2 <= 255 else { return nil }
    let mid = (P2 - P1) / (p2 - p1)
    let a = [P1 / p1, mid, (255 - P2) / (255 - p2)]
    let b = [0, P1 - mid * p1, P2 - a[2] * p2]
    guard let steepest = a.max(), steepest.isFinite else { return nil }
    let shift = steepest < 4 ? 6 : (steepest < 8 ? 5 : 0)
    guard shift > 0 else { return nil }
    let unit = Double(1 << shift)
    var s: [UInt16] = [], o: [Int] = []
    for k in 0..<3 {
        let sk = (a[k] * unit * 256).rounded()
        // The multiply-high truncates (half a unit low on average): +½ unit centres the error.
        let ok = (b[k] * unit + 0.5).rounded()
        guard sk >= 0, sk <= 65535, abs(ok) < 1e9 else { return nil }
        s.append(UInt16(sk))
        o.append(Int(ok))
    }
    var m = emsh_norm_map(x1: Int16(p1.rounded(.down)), x2: Int16(p2.rounded(.down)),
                          s: (s[0], s[1], s[2]),
                          // An offset is the segment's line extrapolated to x = 0 and may not fit 16 bits;
                          // the kernels add modulo 2^16, which is exact wherever the segment's values fit.
                          o: (Int16(truncatingIfNeeded: o[0]), Int16(truncatingIfNeeded: o[1]), Int16(truncatingIfNeeded: o[2])),
                          shift: Int16(shift))
    // Check in full-width arithmetic what the 16-bit kernels will compute: the same values, close to
    // the exact map, monotone, and room for the dither term.
    var previous = Int.min
    for x in 0..<256 {
        let k = x <= Int(m.x1) ? 0 : (x <= Int(m.x2) ? 1 : 2)
        let t = ((x << 8) * Int(s[k])) >> 16 + o[k]
        guard t == Int(emsh_norm_map_eval(&m, Int32(x))), t >= previous, t >= -32768, t <= 32767 - 64,
              abs(Double(t) - normalizeMap(Double(x), p1: p1, p2: p2, P1: P1, P2: P2) * unit) <= 1.5 else { return nil }
        previous = t
    }
    return m
}

/// The 256-entry table u8 data is mapped through without dither (nearest level, halves up), or with
/// dither class c (0…15): ⌊T(x) + (c + ½)/16⌋, clamped to 0…255. T is the fixed-point map where there
/// is one, else the exact `normalizeMap`.
public func normalizationTable(p1: Double, p2: Double, P1: Double, P2: Double, ditherClass: Int? = nil) -> [UInt8] {
    guard var m = fixedPointNormalizeMap(p1: p1, p2: p2, P1: P1, P2: P2) else {
        return exactNormalizationTable(p1: p1, p2: p2, P1: P1, P2: P2, ditherClass: ditherClass)
    }
    let shift = Int(m.shift)
    let d = (ditherClass.map { 2 * $0 + 1 } ?? 16) << (shift - 5)
    return (0..<256).map { x in UInt8(max(0, min(255, (Int(emsh_norm_map_eval(&m, Int32(x))) + d) >> shift))) }
}

/// `normalizationTable` from the exact map in double precision.
func exactNormalizationTable(p1: Double, p2: Double, P1: Double, P2: Double, ditherClass: Int?) -> [UInt8] {
    let f = ditherClass.map { (Double($0) + 0.5) / 16 } ?? 0.5
    return (0..<256).map { x in UInt8(clampFloor(normalizeMap(Double(x), p1: p1, p2: p2, P1: P1, P2: P2) + f, 255)) }
}

/// Maps every slice's histogram peaks (p1, p2) onto the reference (P1, P2) with the thesis's
/// piecewise-linear map (`normalizeMap`). `peaks` holds one pair for every slice, or one pair per slice.
///
/// u8 volumes stay u8, clamped to 0…255, mapped through the fixed-point form of the map
/// (`fixedPointNormalizeMap`: within 1.5/64 of a level of the exact map for slopes below 4, 1.5/32 for
/// slopes from 4 to 8; the exact map for steeper ones). With `dither` (the default) a mapped value t becomes ⌊t + (c + ½)/16⌋,
/// where the dither class c (0…15) comes from a fixed per-voxel pattern (deterministic, the same for
/// every run; each 16 consecutive voxels hold every class once): ⌊t⌋ + 1 with probability frac(t) to
/// 1/32, so every level keeps its mean and histogram peaks land on P1, P2 to a small fraction of a
/// level, where plain rounding (`dither: false`: nearest level, halves up) shifts a whole slice by up
/// to half a level.
/// For a fixed voxel the map stays monotone. u16 and f32 volumes give f32 (no rounding, no clamping).
/// Requires 0 < p1 < p2 (and p2 < 255 for u8), 0 ≤ P1 < P2 ≤ 255. Label maps are refused.
///
/// A block of a larger volume passes its place: `origin` (y, x) of its voxel (0, 0) in the slice and
/// the slice's width, so the dither pattern continues as in the whole slice (the bytes equal those of
/// the whole-volume map).
public func normalize(_ v: Volume, to reference: (Double, Double), peaks: [(Double, Double)], dither: Bool = true,
                      origin: (y: Int, x: Int) = (0, 0), sliceWidth: Int? = nil) throws -> Volume {
    let (P1, P2) = reference
    let nz = v.shape.z
    guard P1.isFinite, P2.isFinite, P1 >= 0, P1 < P2, P2 <= 255 else {
        throw VolumeError.invalidArgument(operation: "normalize",
            "the reference peaks must satisfy 0 ≤ P1 < P2 ≤ 255, got [\(formatNumber(P1, decimals: 4)), \(formatNumber(P2, decimals: 4))]")
    }
    guard peaks.count == 1 || peaks.count == nz else {
        throw VolumeError.invalidArgument(operation: "normalize",
            "--peaks needs one pair or one pair per slice (\(nz)), got \(peaks.count)")
    }
    for (z, (p1, p2)) in peaks.enumerated() {
        guard p1.isFinite, p2.isFinite, p1 > 0, p1 < p2, v.type != .u8 || p2 < 255 else {
            throw VolumeError.invalidArgument(operation: "normalize",
                "the peaks\(peaks.count > 1 ? " of slice \(z)" : "") must satisfy 0 < p1 < p2\(v.type == .u8 ? " < 255" : ""), got [\(formatNumber(p1, decimals: 4)), \(formatNumber(p2, decimals: 4))]")
        }
    }
    if v.kind == .labels || v.type == .u32 {
        throw VolumeError.invalidArgument(operation: "normalize", "a label map cannot be normalised")
    }
    let plane = v.shape.sliceCount
    if case .u8(let b) = v.storage {
        let out = try allocateStorage(.u8, count: v.count, what: "normalize")
        let pi = b.pointer, po = out.rawPointer.assumingMemoryBound(to: UInt8.self)
        let pattern: UnsafePointer<UInt8>? = dither ? UnsafePointer(DitherPattern.shared.pointer) : nil
        // Per peak pair: the fixed-point map for the vector kernels, or (for extreme slopes) a 16×256
        // exact table whose row c holds dither class c.
        let maps = peaks.map { fixedPointNormalizeMap(p1: $0.0, p2: $0.1, P1: P1, P2: P2) }
        let tables = VoxelBuffer<UInt8>(uninitialized: peaks.count * 4096)
        for (k, (p1, p2)) in peaks.enumerated() where maps[k] == nil {
            for c in 0..<16 {
                let row = exactNormalizationTable(p1: p1, p2: p2, P1: P1, P2: P2, ditherClass: dither ? c : nil)
                for x in 0..<256 { tables.pointer[k * 4096 + c * 256 + x] = row[x] }
            }
        }
        let tp = tables.pointer, single = peaks.count == 1
        let width = sliceWidth ?? v.shape.x, ny = v.shape.y, nx = v.shape.x
        // Runs of voxels contiguous both here and in the whole slice: whole slices when the block
        // spans the slice's width, rows otherwise; each starts the pattern at its place in the slice.
        let fullRows = nx == width
        let runLength = fullRows ? plane : nx, runs = fullRows ? 1 : ny
        try parallelSlices(nz) { z in
            let k = single ? 0 : z
            for r in 0..<runs {
                let at = z * plane + r * runLength
                let phase = ((origin.y + r) * width + origin.x) & 4095
                let d = DitherPattern.shared.pointer + phase
                if var m = maps[k] {
                    emsh_normalize_u8(pi + at, po + at, runLength, pattern.map { _ in UnsafePointer(d) }, &m, Int32(EMSH_ISA_BEST))
                } else {
                    applyDitheredTable(tp + k * 4096, d, pi + at, po + at, runLength)
                }
            }
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
/// Stored twice in a row (8192 bytes and a vector's slack), so `pointer + phase` reads the
/// pattern from any phase: a block of a slice starts where the whole slice would be.
final class DitherPattern: Sendable {
    static let shared = DitherPattern()
    let storage: VoxelBuffer<UInt8>
    var pointer: UnsafeMutablePointer<UInt8> { storage.pointer }
    private init() {
        storage = VoxelBuffer(uninitialized: 8192 + 64)
        var rng = SplitMix64(seed: 0x5EED_D17E)
        for block in 0..<256 {
            var perm = (0..<16).map { UInt8($0) }
            for i in stride(from: 15, to: 0, by: -1) {
                perm.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            for i in 0..<16 { storage.pointer[block * 16 + i] = perm[i] }
        }
        for i in 4096..<(8192 + 64) { storage.pointer[i] = storage.pointer[i & 4095] }
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
