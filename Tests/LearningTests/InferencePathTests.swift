import Testing
import Kernels
@testable import Learning

@Suite("inference path")
struct InferencePathTests {
    /// A network whose norm scales/shifts and biases are random too (not the 1/0 defaults).
    func randomNet(_ a: Architecture, seed: UInt64) -> UNet {
        let net = UNet(a)
        net.initialise(seed: seed)
        var g = GradCheck()
        for p in net.params where !(p.name.hasSuffix(".weight") && p.shape.count == 4) {
            for i in 0..<p.count { p.value.pointer[i] = Float(g.rng.normal()) * 0.5 + (p.name.contains("norm") && p.name.hasSuffix("weight") ? 1 : 0) }
        }
        return net
    }

    @Test("the inference-only forward gives the training forward's logits (batch 2, several row bands, reused buffers)")
    func sameLogits() {
        BLAS.configure()   // single-threaded OpenBLAS, as in inference and training
        let net = randomNet(Architecture(depth: 3, width: 4, frames: 3, groups: 2), seed: 5)
        var g = GradCheck()
        // 96×64 = 6144 pixels: more than one im2col band at the first level.
        for (n, h, w) in [(2, 96, 64), (1, 16, 24), (2, 96, 64)] {
            let x = Tensor(n, 3, h, w); g.fill(x)
            let expected = net.forward(x).array
            let got = net.infer(x)
            #expect(got.n == n && got.c == 1 && got.h == h && got.w == w)
            let diff = maxDifference(got.array, expected)
            #expect(diff <= 1e-5, "case \(n)×\(h)×\(w): largest difference \(diff)")
            #expect(expected.contains { $0 != 0 })
        }
    }

    @Test("depth 1 (no pooling) and a 1-frame input agree too")
    func shallow() {
        BLAS.configure()
        let net = randomNet(Architecture(depth: 1, width: 4, frames: 1, groups: 2), seed: 9)
        var g = GradCheck()
        let x = Tensor(1, 1, 12, 20); g.fill(x)
        let diff = maxDifference(net.infer(x).array, net.forward(x).array)
        #expect(diff <= 1e-5, "largest difference \(diff)")
    }

    /// Largest absolute difference (infinite when the lengths differ).
    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        var d: Float = 0
        for i in 0..<a.count { d = max(d, abs(a[i] - b[i])) }
        return d
    }
}
