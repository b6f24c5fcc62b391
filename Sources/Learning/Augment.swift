import _Platform
import Foundation
import Kernels

/// How training patches are drawn and augmented (amplitudes 0 = off; the defaults are `train`'s recipe, chosen on
/// sbem-mito by scripts/bench.d/learning_quality.py).
///
/// Geometry (position, rotations/flips, `deform`) draws from one random stream and the intensity changes
/// (`intensity`, `noise`, `blur`) from another, so turning an intensity option on or off never changes which
/// pixels a patch or its labels come from; intensity changes touch only the image, never the labels.
public struct Augmentation: Sendable, Equatable {
    /// The 8 rotations/flips (and z-flip for multi-frame input).
    public var dihedral = true
    /// Brightness/contrast/gamma jitter: contrast ×(1 ± a), brightness ± a (in units of the images' standard
    /// deviation), gamma exp(± a) on the images' range.
    public var intensity: Float = 0.3
    /// Gaussian noise with a standard deviation drawn from [0, noise] (in units of the images' standard deviation).
    public var noise: Float = 0.1
    /// Half of the patches are blurred with a Gaussian of sigma drawn from [0, blur] pixels.
    public var blur: Float = 1
    /// Any-angle rotation and scale ×(1 + deform)^u, u ∈ [−1, 1] (bilinear, images and labels alike); 0 = only the
    /// 8 rotations/flips.
    public var deform: Float = 0.2
    /// Share of patches drawn around a random foreground pixel (the rest anywhere).
    public var foreground: Float = 0.5

    public init() {}

    /// Only the 8 rotations/flips (the recipe before issue 13).
    public static var plain: Augmentation {
        var a = Augmentation(); a.intensity = 0; a.noise = 0; a.blur = 0; a.deform = 0; a.foreground = 0; return a
    }

    func validate() throws {
        func check(_ v: Float, _ name: String, _ hi: Float) throws {
            guard v.isFinite, v >= 0, v <= hi else { throw LearningError.invalid("\(name) must be 0…\(fmtAmp(hi)) (got \(fmtAmp(v)))") }
        }
        try check(intensity, "intensity", 1); try check(noise, "noise", 2); try check(blur, "blur", 4)
        try check(deform, "deform", 1); try check(foreground, "foreground", 1)
    }
}

private func fmtAmp(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

/// Draws training batches from normalised images and 0/1 labels (`Augmentation` says how).
struct PatchSampler {
    let data: [Float]
    let truth: [Float]
    let shape: Shape
    let frames: Int
    let p: Int
    let aug: Augmentation
    /// The images' range (for gamma).
    let lo: Float, hi: Float
    /// Linear indices of foreground pixels (for `foreground`).
    let foregroundIndex: [Int32]
    var rng: SplitMix64
    var intensityRng: SplitMix64

    init(data: [Float], truth: [Float], shape: Shape, frames: Int, patch p: Int, augmentation: Augmentation, seed: UInt64) {
        self.data = data; self.truth = truth; self.shape = shape; self.frames = frames; self.p = p
        aug = augmentation
        var lo = Float.infinity, hi = -Float.infinity
        for v in data { lo = min(lo, v); hi = max(hi, v) }
        if !(hi > lo) { lo = 0; hi = 1 }
        self.lo = lo; self.hi = hi
        var fg: [Int32] = []
        if augmentation.foreground > 0 && truth.count < Int(Int32.max) {
            for (i, t) in truth.enumerated() where t > 0.5 { fg.append(Int32(i)) }
        }
        foregroundIndex = fg
        rng = SplitMix64.training(seed: seed ^ 0xA5A5_5A5A_0F0F_F0F0)
        intensityRng = SplitMix64.training(seed: seed ^ 0x3C3C_C3C3_6969_9696)
    }

    /// Fills input (batch, frames, p, p) and target (batch, 1, p, p).
    mutating func fill(input: Tensor, target: Tensor) {
        for b in 0..<input.n {
            samplePatch(dst: input.sample(b), label: target.sample(b))
            augmentIntensity(input.sample(b))
        }
    }

    /// One patch: position, rotation/flip or deformation, applied identically to the image frames and the labels.
    mutating func samplePatch(dst: UnsafeMutablePointer<Float>, label: UnsafeMutablePointer<Float>) {
        let h = shape.y, w = shape.x
        var z = 0, y0 = 0, x0 = 0
        let useForeground = aug.foreground > 0 && !foregroundIndex.isEmpty && rng.uniform() < Double(aug.foreground)
        if useForeground {
            let i = Int(foregroundIndex[rng.below(foregroundIndex.count)])
            z = i / (h * w)
            let cy = (i / w) % h, cx = i % w
            // A window holding (cy, cx) at a random place, inside the slice.
            y0 = min(max(cy - rng.below(p), 0), h - p)
            x0 = min(max(cx - rng.below(p), 0), w - p)
        } else {
            z = rng.below(shape.z); y0 = rng.below(h - p + 1); x0 = rng.below(w - p + 1)
        }
        let tr = aug.dihedral ? rng.below(8) : 0
        let zFlip = aug.dihedral && frames > 1 && rng.below(2) == 1
        let slices = frameSlices(z: z, frames: frames, depth: shape.z, zFlip: zFlip)
        if aug.deform > 0 {
            let angle = rng.uniform() * 2 * Double.pi
            let scale = Foundation.pow(1 + Double(aug.deform), 2 * rng.uniform() - 1)
            let cy = Double(y0) + Double(p) / 2, cx = Double(x0) + Double(p) / 2
            let m = AffineMap(angle: angle, scale: scale, flip: tr & 1 != 0, centreY: cy, centreX: cx, p: p)
            data.withUnsafeBufferPointer { d in
                warpPatch(d.baseAddress!, shape: shape, slices: slices, map: m, p: p, dst: dst)
            }
            truth.withUnsafeBufferPointer { t in
                warpPatch(t.baseAddress!, shape: shape, slices: [z], map: m, p: p, dst: label)
            }
        } else {
            data.withUnsafeBufferPointer { d in
                extractPatch(d.baseAddress!, shape: shape, slices: slices, y0: y0, x0: x0, p: p, transform: tr, dst: dst)
            }
            truth.withUnsafeBufferPointer { t in
                extractPatch(t.baseAddress!, shape: shape, slices: [z], y0: y0, x0: x0, p: p, transform: tr, dst: label)
            }
        }
    }

    /// Gamma, contrast, brightness, blur and noise on one patch's frames (the same change on every frame).
    mutating func augmentIntensity(_ x: UnsafeMutablePointer<Float>) {
        let n = frames * p * p
        if aug.intensity > 0 {
            let a = Double(aug.intensity)
            let gamma = Float(Foundation.exp(a * (2 * intensityRng.uniform() - 1)))
            let contrast = Float(1 + a * (2 * intensityRng.uniform() - 1))
            let brightness = Float(a * (2 * intensityRng.uniform() - 1))
            let lo = lo, range = hi - lo, inv = 1 / (hi - lo)
            for i in 0..<n {
                var u = min(max((x[i] - lo) * inv, 0), 1)
                if gamma != 1 { u = powf(u, gamma) }
                x[i] = (lo + u * range) * contrast + brightness
            }
        }
        if aug.blur > 0 && intensityRng.below(2) == 1 {
            let sigma = Float(intensityRng.uniform()) * aug.blur
            if sigma > 0.2 { for f in 0..<frames { gaussianBlur(x + f * p * p, p, sigma) } }
        }
        if aug.noise > 0 {
            let s = Float(intensityRng.uniform()) * aug.noise
            if s > 0 { for i in 0..<n { x[i] += s * Float(intensityRng.normal()) } }
        }
    }
}

/// Output pixel (y, x) of a p×p patch ← source (row, column): rotation by `angle`, scale, optional transpose,
/// about the patch centre.
struct AffineMap {
    let a: Double, b: Double, c: Double, d: Double
    let cy: Double, cx: Double, half: Double
    let flip: Bool

    init(angle: Double, scale: Double, flip: Bool, centreY: Double, centreX: Double, p: Int) {
        let co = Foundation.cos(angle) / scale, si = Foundation.sin(angle) / scale
        a = co; b = -si; c = si; d = co
        cy = centreY; cx = centreX; half = Double(p) / 2; self.flip = flip
    }

    @inline(__always)
    func source(_ y: Int, _ x: Int) -> (Double, Double) {
        var u = Double(y) + 0.5 - half, v = Double(x) + 0.5 - half
        if flip { swap(&u, &v) }
        return (cy + a * u + b * v - 0.5, cx + c * u + d * v - 0.5)
    }
}

/// Bilinear samples of slice planes under `map` (reflected past the slice's edges).
func warpPatch(_ src: UnsafePointer<Float>, shape: Shape, slices: [Int], map: AffineMap, p: Int, dst: UnsafeMutablePointer<Float>) {
    let h = shape.y, w = shape.x
    for yy in 0..<p {
        for xx in 0..<p {
            let (sy, sx) = map.source(yy, xx)
            let fy = sy.rounded(.down), fx = sx.rounded(.down)
            let ty = Float(sy - fy), tx = Float(sx - fx)
            let iy = Int(fy), ix = Int(fx)
            let r0 = reflect(iy, h) * w, r1 = reflect(iy + 1, h) * w
            let c0 = reflect(ix, w), c1 = reflect(ix + 1, w)
            for (f, z) in slices.enumerated() {
                let plane = src + z * h * w
                let top = plane[r0 + c0] + tx * (plane[r0 + c1] - plane[r0 + c0])
                let bottom = plane[r1 + c0] + tx * (plane[r1 + c1] - plane[r1 + c0])
                dst[f * p * p + yy * p + xx] = top + ty * (bottom - top)
            }
        }
    }
}

/// In-place separable Gaussian blur of a p×p plane (edges reflected).
func gaussianBlur(_ x: UnsafeMutablePointer<Float>, _ p: Int, _ sigma: Float) {
    let r = max(1, Int((3 * sigma).rounded(.up)))
    var k = [Float](repeating: 0, count: 2 * r + 1)
    var s: Float = 0
    for i in -r...r { let v = expf(-Float(i * i) / (2 * sigma * sigma)); k[i + r] = v; s += v }
    for i in k.indices { k[i] /= s }
    var tmp = [Float](repeating: 0, count: p * p)
    for y in 0..<p {
        for xx in 0..<p {
            var acc: Float = 0
            for i in -r...r { acc += k[i + r] * x[y * p + reflect(xx + i, p)] }
            tmp[y * p + xx] = acc
        }
    }
    for y in 0..<p {
        for xx in 0..<p {
            var acc: Float = 0
            for i in -r...r { acc += k[i + r] * tmp[reflect(y + i, p) * p + xx] }
            x[y * p + xx] = acc
        }
    }
}
