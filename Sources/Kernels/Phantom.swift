import _Platform
import Foundation


/// A synthetic cardiac SBF-SEM volume and its ground truth.
public struct Phantom: Sendable {
    /// u8 intensities.
    public var image: Volume
    /// u8 0/1: mitochondria (= labels > 0).
    public var mask: Volume
    /// u32 instances 1…N, 0 = background.
    public var labels: Volume
    /// u8 0/1: the outline of each mitochondrion (`contour labels --width 2`), a subset of the mask.
    public var contour: Volume
    /// N, the number of mitochondria.
    public var objectCount: Int
}

/// Phantom constants (intensities before drift and noise; lengths in nm).
public enum PhantomDefaults {
    public static let size = Shape(z: 24, y: 256, x: 256)
    public static let spacing = Spacing(x: 10, y: 10, z: 50)
    public static let myofibril = 190.0
    public static let mitochondrion = 160.0
    public static let membrane = 120.0
    public static let darkSpace = 40.0
    public static let brightSpace = 232.0
    public static let noise = 5.0
    public static let contourWidth = 2
}

/// A synthetic cardiac SBF-SEM volume, deterministic for a seed (spacing 10×10×50 nm).
///
/// - Myofibrils run along x: grey ~190 with sarcomere banding (period 1.8 µm, a dark Z-line ~150)
///   and thin darker gaps between fibrils.
/// - Mitochondria are prolate spheroids (semi-axes a 300–600 nm, b 150–260 nm), ~25 % of the volume:
///   most aligned with x, about a fifth tilted in the x–y plane (20–70°), some in touching end-to-end
///   pairs whose neck is about half as wide as their bodies. Interior ~160; the double membrane is a
///   darker rim (~120 at the surface, back to 160 40 nm inside).
/// - Extracellular space along the high-y edge (about 12 % of each slice): very dark (~40) and very
///   bright (~232) patches, so slice histograms have four peaks there.
/// - Gaussian noise (σ 5) and a slow per-slice drift: slice z becomes
///   128 + (I − 128)·(1 + d·sin(2π·0.8·t + 0.5)) + 100·d·cos(2π·0.6·t + 1.1), t = z/(Z−1) —
///   `drift` d = 0.1 changes the contrast by up to ±10 % and the offset by up to ±10 grey levels.
///   Values are rounded and clamped to 0…255.
///
/// Labels are numbered 1…N in placement order; `contour` is `contour(labels, width: 2)`.
public func phantom(size: Shape = PhantomDefaults.size, seed: UInt64 = 1, drift: Double = 0,
                    spacing: Spacing = PhantomDefaults.spacing) throws -> Phantom {
    guard size.z >= 1, size.y >= 8, size.x >= 8 else {
        throw VolumeError.invalidArgument(operation: "phantom", "size must be at least [1, 8, 8], got [\(size.z), \(size.y), \(size.x)]")
    }
    guard drift.isFinite, drift >= 0, drift <= 0.5 else {
        throw VolumeError.invalidArgument(operation: "phantom", "drift must be between 0 and 0.5, got \(drift)")
    }
    guard let bytes = MemoryBudget.bytes([size.z, size.y, size.x], elementSize: 7) else {
        throw MemoryLimitError(requested: Int.max, limit: MemoryBudget.limit, what: "phantom \(size)")
    }
    try MemoryBudget.check(bytes, what: "phantom \(size)")

    let renderer = PhantomRenderer(size: size, seed: seed, drift: drift, spacing: spacing)
    let n = size.count
    let (image, raw) = try renderer.render(slices: 0..<size.z)
    guard let lab = raw.u32?.pointer else { throw CancelledError() }
    // Renumber 1…N without gaps (an object may be hidden by its neighbours or fall outside).
    var present = [Bool](repeating: false, count: renderer.placedCount + 1)
    for i in 0..<n { present[Int(lab[i])] = true }
    let remap = PhantomRenderer.renumbering(present: present)
    if Int(remap.count) != renderer.placedCount {
        try remap.map.withUnsafeBufferPointer { rm in
            try parallelBlocks(n) { r in for i in r { lab[i] = rm[Int(lab[i])] } }
        }
    }
    let next = remap.count
    let labels = raw
    let mask = try voxelwise(.gt, labels, 0, scalarOnLeft: false)
    let outline = try contour(labels, width: PhantomDefaults.contourWidth)
    return Phantom(image: image, mask: mask, labels: labels, contour: outline, objectCount: Int(next))
}

/// The phantom's world (mitochondria placed once per seed) rendered a slab of slices at a time:
/// `phantom` renders every slice at once, a chunked phantom slab by slab, with the same voxels.
public struct PhantomRenderer: Sendable {
    let world: PhantomWorld
    let objects: [Spheroid]
    let band: [Double]
    let drift: Double
    public var size: Shape { world.size }
    public var spacing: Spacing { world.spacing }
    /// Mitochondria placed; the labels of `render` number them 1…placedCount in placement order,
    /// some of which may be hidden (see `renumbering`).
    public var placedCount: Int { objects.count }

    public init(size: Shape, seed: UInt64, drift: Double, spacing: Spacing = PhantomDefaults.spacing) {
        world = PhantomWorld(size: size, spacing: spacing, seed: seed)
        objects = world.placeMitochondria()
        band = (0..<size.x).map { [world] in world.myofibrilProfile(x: (Double($0) + 0.5) * spacing.x) }
        self.drift = drift
    }

    /// Slices `slices` of the image (u8) and of the labels in placement order (u32).
    public func render(slices: Range<Int>) throws -> (image: Volume, labels: Volume) {
        try render(Box(z: slices, y: 0..<size.y, x: 0..<size.x))
    }

    /// The voxels of `box` (any part of the volume: every voxel depends only on its position).
    public func render(_ box: Box) throws -> (image: Volume, labels: Volume) {
        let s = box.shape, plane = s.sliceCount
        let imageStore = try allocateStorage(.u8, count: s.count, what: "phantom image")
        let labelStore = try allocateStorage(.u32, count: s.count, what: "phantom labels")
        guard case .u8(let ib) = imageStore, case .u32(let lb) = labelStore else { throw CancelledError() }
        let img = ib.pointer, lab = lb.pointer
        try parallelSlices(s.z) { k in
            world.renderSlice(z: box.z.lowerBound + k, rows: box.y, cols: box.x, objects: objects, band: band, drift: drift,
                              image: img + k * plane, labels: lab + k * plane)
        }
        return (Volume(shape: s, spacing: spacing, kind: .image, storage: imageStore),
                Volume(shape: s, spacing: spacing, kind: .labels, storage: labelStore))
    }

    /// The map from placement ids to 1…N without gaps, given which ids occur (index 0: background).
    public static func renumbering(present: [Bool]) -> (map: [UInt32], count: UInt32) {
        var remap = [UInt32](repeating: 0, count: present.count)
        var next: UInt32 = 0
        for k in 1..<max(1, present.count) where present[k] { next += 1; remap[k] = next }
        return (remap, next)
    }
}

/// One mitochondrion: centre (nm), unit axis, semi-axes (nm).
struct Spheroid: Sendable {
    var c: (Double, Double, Double)  // x, y, z
    var u: (Double, Double, Double)
    var a: Double
    var b: Double

    /// Radius along the unit direction w.
    func radius(along w: (Double, Double, Double)) -> Double {
        let d = w.0 * u.0 + w.1 * u.1 + w.2 * u.2
        return 1 / (d * d / (a * a) + (1 - d * d) / (b * b)).squareRoot()
    }
    /// Half-extents of the bounding box (nm).
    var extent: (Double, Double, Double) {
        func e(_ uk: Double) -> Double { (a * a * uk * uk + b * b * (1 - uk * uk)).squareRoot() }
        return (e(u.0), e(u.1), e(u.2))
    }
}

struct PhantomWorld: Sendable {
    let size: Shape
    let spacing: Spacing
    let seed: UInt64
    var width: Double { Double(size.x) * spacing.x }
    var height: Double { Double(size.y) * spacing.y }
    var depth: Double { Double(size.z) * spacing.z }

    /// The y (nm) where extracellular space starts, for x and z (nm): a wavy line ~12 % from the edge.
    @inline(__always) func spaceBoundary(x: Double, z: Double) -> Double {
        height * (0.84 + 0.03 * sin(x / 310 + Double(seed % 7)) + 0.02 * sin(z / 400 + x / 900))
    }

    /// Myofibril intensity along x: sarcomere banding with a dark Z-line.
    func myofibrilProfile(x: Double) -> Double {
        let period = 1800.0
        var t = (x + Double(seed % 97) * 13).truncatingRemainder(dividingBy: period)
        if t < 0 { t += period }
        let dz = min(t, period - t)
        if dz < 20 { return 130 }
        return PhantomDefaults.myofibril + 3 * cos(2 * Double.pi * t / period)
    }

    func placeMitochondria() -> [Spheroid] {
        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 17)
        let target = 0.30 * width * height * depth
        var placed: [Spheroid] = []
        var volume = 0.0
        let maxAttempts = 400 + Int(target / 1.0e6)
        var attempts = 0
        func fits(_ s: Spheroid, ignoring: Int?) -> Bool {
            let e = s.extent
            if s.c.1 + e.1 > height * 0.79 { return false }  // keep out of extracellular space
            for (k, o) in placed.enumerated() where k != ignoring {
                let dx = s.c.0 - o.c.0, dy = s.c.1 - o.c.1, dz = s.c.2 - o.c.2
                let d = (dx * dx + dy * dy + dz * dz).squareRoot()
                if d > s.a + o.a + 40 { continue }
                let w = (dx / d, dy / d, dz / d)
                if d < s.radius(along: w) + o.radius(along: w) + 40 { return false }
            }
            return true
        }
        while volume < target && attempts < maxAttempts {
            attempts += 1
            let a = rng.uniform(300, 600)
            let b = min(rng.uniform(150, 260), a * 0.7)
            var theta = rng.uniform(-0.12, 0.12)
            if rng.uniform() < 0.2 { theta = rng.uniform(0.35, 1.2) * (rng.uniform() < 0.5 ? -1 : 1) }
            let phi = rng.uniform(-0.1, 0.1)
            let u = (cos(theta) * cos(phi), sin(theta) * cos(phi), sin(phi))
            let c = (rng.uniform(0, width), rng.uniform(0, height * 0.79), rng.uniform(0, depth))
            let s = Spheroid(c: c, u: u, a: a, b: b)
            guard fits(s, ignoring: nil) else { continue }
            placed.append(s)
            volume += 4.0 / 3.0 * Double.pi * a * b * b
            // Some touch a partner end to end: the overlap leaves a neck about half the body width.
            if rng.uniform() < 0.3 {
                let a2 = rng.uniform(300, 550), b2 = min(b * rng.uniform(0.9, 1.1), a2 * 0.7)
                let dist = 0.86 * (a + a2)
                let sign = rng.uniform() < 0.5 ? -1.0 : 1.0
                let c2 = (c.0 + sign * u.0 * dist, c.1 + sign * u.1 * dist, c.2 + sign * u.2 * dist)
                let p = Spheroid(c: c2, u: u, a: a2, b: b2)
                if c2.0 >= 0, c2.0 < width, c2.1 >= 0, c2.2 >= 0, c2.2 < depth, fits(p, ignoring: placed.count - 1) {
                    placed.append(p)
                    volume += 4.0 / 3.0 * Double.pi * a2 * b2 * b2
                }
            }
        }
        return placed
    }

    /// Renders rows `rows` and columns `cols` of slice z into `image` and `labels` (rows.count × cols.count).
    func renderSlice(z: Int, rows: Range<Int>, cols: Range<Int>, objects: [Spheroid], band: [Double], drift: Double,
                     image: UnsafeMutablePointer<UInt8>, labels: UnsafeMutablePointer<UInt32>) {
        let ny = size.y, nx = size.x
        let sx = spacing.x, sy = spacing.y
        let zc = (Double(z) + 0.5) * spacing.z
        let wide = cols.count
        let plane = rows.count * wide
        let fullPlane = ny * nx
        // Best normalised radius² and the rim depth (nm) per voxel of this slice.
        let best = UnsafeMutablePointer<Float>.allocate(capacity: plane)
        let depthNm = UnsafeMutablePointer<Float>.allocate(capacity: plane)
        defer { best.deallocate(); depthNm.deallocate() }
        best.initialize(repeating: 1, count: plane)
        labels.initialize(repeating: 0, count: plane)
        for (k, o) in objects.enumerated() {
            let e = o.extent
            let dzc = zc - o.c.2
            guard abs(dzc) < e.2 else { continue }
            let y0 = max(rows.lowerBound, Int((o.c.1 - e.1) / sy)), y1 = min(rows.upperBound - 1, Int((o.c.1 + e.1) / sy))
            let x0 = max(cols.lowerBound, Int((o.c.0 - e.0) / sx)), x1 = min(cols.upperBound - 1, Int((o.c.0 + e.0) / sx))
            guard y0 <= y1, x0 <= x1 else { continue }
            let ia2 = 1 / (o.a * o.a), ib2 = 1 / (o.b * o.b)
            // f at the centre of this slice's cross-section: the rim is measured in-plane, as it is imaged.
            let f0 = dzc * dzc / (e.2 * e.2)
            let rimScale = o.b * (1 - f0).squareRoot()
            for y in y0...y1 {
                let dy = (Double(y) + 0.5) * sy - o.c.1
                for x in x0...x1 {
                    let dx = (Double(x) + 0.5) * sx - o.c.0
                    let s = dx * o.u.0 + dy * o.u.1 + dzc * o.u.2
                    let q2 = dx * dx + dy * dy + dzc * dzc - s * s
                    let f = s * s * ia2 + q2 * ib2
                    let i = (y - rows.lowerBound) * wide + x - cols.lowerBound
                    if f < Double(best[i]) {
                        best[i] = Float(f)
                        labels[i] = UInt32(k + 1)
                        depthNm[i] = Float((1 - ((f - f0) / (1 - f0)).squareRoot()) * rimScale)
                    }
                }
            }
        }
        let t = size.z > 1 ? Double(z) / Double(size.z - 1) : 0
        let gain = 1 + drift * sin(2 * Double.pi * 0.8 * t + 0.5)
        let offset = 100 * drift * cos(2 * Double.pi * 0.6 * t + 1.1)
        let noiseSeed = SplitMix64.mix(seed ^ 0xA5A5_5A5A_0F0F_F0F0)
        let boundary = UnsafeMutablePointer<Double>.allocate(capacity: nx)
        defer { boundary.deallocate() }
        for x in cols { boundary[x] = spaceBoundary(x: (Double(x) + 0.5) * sx, z: zc) }
        for y in rows {
            let yc = (Double(y) + 0.5) * sy
            let wobble = 0.7 * sin(yc / 60), rowPattern = sin(yc / 70 + zc / 300)
            // Thin darker gaps between myofibrils, about every micrometre in y.
            let fib = (yc + 130 * sin(zc / 700) + Double(seed % 13) * 50).truncatingRemainder(dividingBy: 1000)
            let gap = fib < 10 || fib > 990
            for x in cols {
                let i = (y - rows.lowerBound) * wide + x - cols.lowerBound
                let xc = (Double(x) + 0.5) * sx
                var v: Double
                if labels[i] != 0 {
                    let d = Double(depthNm[i])
                    v = d < 7 ? PhantomDefaults.membrane : PhantomDefaults.mitochondrion
                } else if yc > boundary[x] {
                    let pattern = sin(xc / 95 + wobble) + rowPattern
                    v = pattern > 0 ? PhantomDefaults.brightSpace : PhantomDefaults.darkSpace
                } else {
                    v = gap ? 135 : band[x]
                }
                // Gaussian noise (Irwin–Hall of four 16-bit uniforms), counter-based so it does not
                // depend on the thread count.
                let h = SplitMix64.mix(noiseSeed &+ UInt64(z * fullPlane + y * nx + x) &* 0x9E37_79B9_7F4A_7C15)
                let sum = Double(h & 0xffff) + Double((h >> 16) & 0xffff) + Double((h >> 32) & 0xffff) + Double(h >> 48)
                let g = (sum / 65536 - 2) * 1.7320508075688772
                v += PhantomDefaults.noise * g
                v = 128 + (v - 128) * gain + offset
                image[i] = UInt8(clampRound(v, 255))
            }
        }
    }
}
