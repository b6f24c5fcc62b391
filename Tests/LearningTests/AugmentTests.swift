import Testing
import _Platform
import Kernels
@testable import Learning

@Suite("training augmentation")
struct AugmentTests {
    /// A 3×40×40 float volume and 0/1 labels (a bright square and a disc per slice, plus a ramp).
    func fixture() -> (data: [Float], truth: [Float], shape: Shape) {
        let shape = Shape(z: 3, y: 40, x: 40)
        var data = [Float](repeating: 0, count: shape.count), truth = data
        for z in 0..<3 {
            for y in 0..<40 {
                for x in 0..<40 {
                    let i = (z * 40 + y) * 40 + x
                    let inside = (y - 12 - 3 * z) * (y - 12 - 3 * z) + (x - 25) * (x - 25) <= 36 || (y >= 28 && y < 34 && x >= 5 && x < 14)
                    truth[i] = inside ? 1 : 0
                    data[i] = (inside ? 1.5 : -0.5) + Float(x) / 80 - Float(y) / 160
                }
            }
        }
        return (data, truth, shape)
    }

    func batch(_ s: inout PatchSampler, n: Int = 6) -> (input: [Float], target: [Float]) {
        let input = Tensor(n, s.frames, s.p, s.p), target = Tensor(n, 1, s.p, s.p)
        s.fill(input: input, target: target)
        return (input.array, target.array)
    }

    func sampler(_ a: Augmentation, seed: UInt64 = 3, frames: Int = 1, data: [Float]? = nil) -> PatchSampler {
        let f = fixture()
        return PatchSampler(data: data ?? f.data, truth: f.truth, shape: f.shape, frames: frames, patch: 16,
                            augmentation: a, seed: seed)
    }

    @Test("intensity, noise and blur change the image, never the labels or where patches come from")
    func intensityKeepsLabels() {
        var plain = Augmentation.plain; plain.deform = 0.2; plain.foreground = 0.5
        var jitter = plain; jitter.intensity = 0.3; jitter.noise = 0.2; jitter.blur = 1.5
        var a = sampler(plain, frames: 3), b = sampler(jitter, frames: 3)
        for _ in 0..<4 {
            let x = batch(&a), y = batch(&b)
            #expect(x.target == y.target)
            #expect(x.input != y.input)
            #expect(y.input.allSatisfy { $0.isFinite })
        }
    }

    @Test("rotations, flips and deformation move image and labels identically")
    func geometryMatches() {
        for deform: Float in [0, 0.25] {
            var a = Augmentation.plain; a.deform = deform; a.foreground = 0.5
            let f = fixture()
            // The labels as the image: every input patch must equal its target patch.
            var s = sampler(a, seed: 9, data: f.truth)
            for _ in 0..<4 {
                let x = batch(&s)
                #expect(x.input == x.target)
                #expect(x.target.contains { $0 > 0 } )
            }
        }
        // Deformed labels stay in [0, 1] (bilinear: soft at the edges).
        var a = Augmentation.plain; a.deform = 0.3
        var s = sampler(a)
        #expect(batch(&s).target.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("same seed, same batches; another seed, others; all options off = the plain rotations/flips")
    func deterministic() {
        var a = Augmentation.plain; a.intensity = 0.2; a.noise = 0.1; a.blur = 1; a.deform = 0.2; a.foreground = 0.3
        var s1 = sampler(a), s2 = sampler(a), s3 = sampler(a, seed: 4)
        let b1 = batch(&s1), b2 = batch(&s2), b3 = batch(&s3)
        #expect(b1.input == b2.input && b1.target == b2.target)
        #expect(b1.input != b3.input)
        // Defaults: exactly extractPatch with the draws train has always made.
        let f = fixture()
        var s = sampler(Augmentation.plain)
        var rng = SplitMix64.training(seed: 3 ^ 0xA5A5_5A5A_0F0F_F0F0)
        let got = batch(&s, n: 3)
        var want = [Float](repeating: 0, count: 3 * 256)
        for k in 0..<3 {
            let z = rng.below(3), y0 = rng.below(25), x0 = rng.below(25), t = rng.below(8)
            want.withUnsafeMutableBufferPointer { w in
                f.data.withUnsafeBufferPointer { d in
                    extractPatch(d.baseAddress!, shape: f.shape, slices: [z], y0: y0, x0: x0, p: 16, transform: t,
                                 dst: w.baseAddress! + k * 256)
                }
            }
        }
        #expect(got.input == want)
    }

    @Test("foreground oversampling: every patch holds foreground")
    func foregroundPatches() {
        var a = Augmentation.plain; a.foreground = 1
        var s = sampler(a)
        let t = batch(&s, n: 20).target
        for k in 0..<20 { #expect(t[(k * 256)..<((k + 1) * 256)].contains(1)) }
    }

    @Test("gamma keeps the images' range; blur keeps a constant patch constant")
    func intensityPieces() {
        var x = [Float](repeating: 0.7, count: 64)
        x.withUnsafeMutableBufferPointer { gaussianBlur($0.baseAddress!, 8, 1.2) }
        #expect(x.allSatisfy { abs($0 - 0.7) < 1e-5 })
        var a = Augmentation.plain; a.intensity = 0.5
        var s = sampler(a)
        let lo = s.lo, hi = s.hi
        let input = batch(&s).input
        // contrast ≤ 1.5, brightness ≤ 0.5 around the gamma-mapped range
        #expect(input.allSatisfy { $0 >= min(lo * 1.5, lo * 0.5) - 0.5 - 1e-4 && $0 <= max(hi * 1.5, hi * 0.5) + 0.5 + 1e-4 })
    }

    @Test("train with every augmentation is deterministic per seed; bad amplitudes are refused")
    func trainDeterministic() throws {
        let (img, lab) = discVolume()
        var c = tinyConfig(seed: 7, frames: 3)
        c.augmentation.intensity = 0.2; c.augmentation.noise = 0.1; c.augmentation.blur = 1
        c.augmentation.deform = 0.2; c.augmentation.foreground = 0.5
        let m1 = try train(images: img, labels: lab, config: c)
        let m2 = try train(images: img, labels: lab, config: c)
        #expect(m1.tensors == m2.tensors)
        c.augmentation.noise = -1
        #expect(throws: LearningError.self) { _ = try train(images: img, labels: lab, config: c) }
        c.augmentation.noise = 0; c.augmentation.foreground = 1.5
        #expect(throws: LearningError.self) { _ = try train(images: img, labels: lab, config: c) }
    }
}
