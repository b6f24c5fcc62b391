import Testing
import Kernels
@testable import Learning

@Suite("U-Net")
struct UNetTests {
    @Test("whole-network gradient matches a directional finite difference")
    func networkGradient() {
        let net = UNet(Architecture(depth: 3, width: 4, frames: 3, groups: 2))
        net.initialise(seed: 3)
        var g = GradCheck()
        let x = Tensor(2, 3, 8, 8); g.fill(x)
        let target = (0..<(2 * 64)).map { _ in Float(g.rng.below(2)) }
        let loss = SegmentationLoss(positiveWeight: 1.5, diceWeight: 1)
        let grad = Tensor()
        func evaluate() -> Double {
            target.withUnsafeBufferPointer { Double(loss.evaluate(logits: net.forward(x), target: $0.baseAddress!, grad: grad)) }
        }
        net.zeroGrad()
        _ = evaluate()
        net.backward(grad)
        // Random direction over every parameter.
        let params = net.params
        let dirs = params.map { p in (0..<p.count).map { _ in Float(g.rng.normal()) } }
        var analytic = 0.0
        for (p, d) in zip(params, dirs) { for i in 0..<p.count { analytic += Double(p.grad.pointer[i]) * Double(d[i]) } }
        func shift(_ s: Float) { for (p, d) in zip(params, dirs) { for i in 0..<p.count { p.value.pointer[i] += s * d[i] } } }
        let eps: Float = 1e-3
        shift(eps); let lp = evaluate()
        shift(-2 * eps); let lm = evaluate()
        shift(eps)
        let numeric = (lp - lm) / Double(2 * eps)
        #expect(abs(numeric - analytic) < 0.03 * max(1, abs(numeric)), "numeric \(numeric) analytic \(analytic)")
    }

    @Test("parameter names and shapes agree with the saved layout", arguments: [1, 2, 4])
    func layout(depth: Int) {
        let a = Architecture(depth: depth, width: 4, frames: 5, groups: 2)
        let net = UNet(a)
        let expected = Model.expectedShapes(a)
        #expect(net.params.map(\.name) == expected.map(\.0))
        #expect(net.params.map(\.shape) == expected.map(\.1))
    }

    @Test("default architecture is 16/32/64/128 with a 1-channel head")
    func defaults() throws {
        let m = try Model(architecture: Architecture())
        #expect(m.tensors.first { $0.name == "bottom.conv2.weight" }?.shape == [128, 128, 3, 3])
        #expect(m.tensors.first { $0.name == "enc0.conv1.weight" }?.shape == [16, 1, 3, 3])
        #expect(m.tensors.first { $0.name == "head.weight" }?.shape == [1, 16, 1, 1])
        #expect(m.summary.contains("16/32/64/128"))
    }

    @Test("same seed and thread count give bit-identical weights; another seed does not")
    func determinism() throws {
        let (img, lab) = discVolume()
        let a = try train(images: img, labels: lab, config: tinyConfig(seed: 11, frames: 3))
        let b = try train(images: img, labels: lab, config: tinyConfig(seed: 11, frames: 3))
        let c = try train(images: img, labels: lab, config: tinyConfig(seed: 12, frames: 3))
        #expect(a.tensors == b.tensors)
        #expect(a.tensors != c.tensors)
        #expect(a.record.steps == 3)
    }

    @Test("frames are reflected at the volume's ends")
    func frames() {
        #expect(frameSlices(z: 0, frames: 5, depth: 4) == [2, 1, 0, 1, 2])
        #expect(frameSlices(z: 3, frames: 3, depth: 4) == [2, 3, 2])
        #expect(frameSlices(z: 1, frames: 3, depth: 4, zFlip: true) == [2, 1, 0])
        #expect(frameSlices(z: 0, frames: 3, depth: 1) == [0, 0, 0])
    }

    @Test("the 8 rotations/flips are distinct permutations of a patch")
    func dihedral() {
        var seen = Set<[Int]>()
        for t in 0..<8 {
            var perm: [Int] = []
            for y in 0..<3 { for x in 0..<3 { let (a, b) = dihedralSource(t, y, x, 3); perm.append(a * 3 + b) } }
            #expect(Set(perm).count == 9)
            seen.insert(perm)
        }
        #expect(seen.count == 8)
    }
}
