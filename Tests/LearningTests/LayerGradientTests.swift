import Testing
@testable import Learning

@Suite("layer gradients against finite differences")
struct LayerGradientTests {
    @Test("3×3 convolution: input, weight and bias gradients (batch split across workers)")
    func conv3() {
        var g = GradCheck()
        let conv = Conv2D(name: "c", inC: 3, outC: 4, k: 3, bias: true)
        g.fill(conv.weight.value, scale: 0.3); g.fill(conv.bias!.value, scale: 0.3)
        let x = Tensor(2, 3, 5, 6); g.fill(x)
        let r = (0..<(2 * 4 * 5 * 6)).map { _ in Float(g.rng.normal()) }
        checkLayer(forward: { conv.forward($0) }, backward: { conv.backward($0) }, params: conv.params, x: x, r: r)
    }

    @Test("1×1 convolution")
    func conv1() {
        var g = GradCheck()
        let conv = Conv2D(name: "c", inC: 5, outC: 2, k: 1, bias: true)
        g.fill(conv.weight.value, scale: 0.3); g.fill(conv.bias!.value)
        let x = Tensor(2, 5, 3, 4); g.fill(x)
        let r = (0..<(2 * 2 * 3 * 4)).map { _ in Float(g.rng.normal()) }
        checkLayer(forward: { conv.forward($0) }, backward: { conv.backward($0) }, params: conv.params, x: x, r: r)
    }

    @Test("3×3 convolution on a tall image uses several row bands and still matches")
    func convBands() {
        var g = GradCheck()
        let conv = Conv2D(name: "c", inC: 1, outC: 2, k: 3, bias: false)
        g.fill(conv.weight.value, scale: 0.3)
        // 16384 / 4096 = 4 rows per band: 9 rows make three bands.
        let x = Tensor(1, 1, 9, 4096); g.fill(x)
        let y = conv.forward(x).array
        // Independent direct convolution.
        let w = conv.weight.value.array
        var worst: Float = 0
        for o in 0..<2 {
            for yy in [0, 3, 4, 8] {
                for xx in [0, 1, 2000, 4095] {
                    var s: Float = 0
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let sy = yy + ky - 1, sx = xx + kx - 1
                            if sy < 0 || sy >= 9 || sx < 0 || sx >= 4096 { continue }
                            s += w[o * 9 + ky * 3 + kx] * x.pointer[sy * 4096 + sx]
                        }
                    }
                    worst = max(worst, abs(s - y[(o * 9 + yy) * 4096 + xx]))
                }
            }
        }
        #expect(worst < 1e-4)
    }

    @Test("3×3 convolution: the direct kernels give im2col + sgemm's outputs and gradients",
          .enabled(if: directConv3x3), arguments: [(3, 20, 5, 37), (16, 16, 4, 16), (20, 3, 3, 1), (2, 33, 6, 48), (4, 16, 70, 64), (5, 9, 1, 20), (3, 8, 2, 17)])
    func directEqualsIm2col(_ shape: (Int, Int, Int, Int)) {
        let (inC, outC, h, w) = shape
        var g = GradCheck()
        let direct = Conv2D(name: "c", inC: inC, outC: outC, k: 3, bias: true)
        let im2col = Conv2D(name: "c", inC: inC, outC: outC, k: 3, bias: true)
        im2col.direct = false
        g.fill(direct.weight.value, scale: 0.3); g.fill(direct.bias!.value, scale: 0.3)
        im2col.weight.value.copy(from: direct.weight.value.array); im2col.bias!.value.copy(from: direct.bias!.value.array)
        let x = Tensor(2, inC, h, w); g.fill(x)
        let dy = Tensor(2, outC, h, w); g.fill(dy)
        let a = direct.forward(x).array, b = im2col.forward(x).array
        #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        let da = direct.backward(dy).array, db = im2col.backward(dy).array
        #expect(da.count == db.count && zip(da, db).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        // Sums over every pixel in another order: compare against the largest gradient (cancellation).
        let wa = direct.weight.grad.array, wb = im2col.weight.grad.array
        let scale = wb.map(abs).max() ?? 1
        let worst = zip(wa, wb).map { abs($0 - $1) }.max() ?? 0
        #expect(wa.count == wb.count && worst <= 1e-5 * scale)
        #expect(direct.bias!.grad.array == im2col.bias!.grad.array)
    }

    @Test("ReLU")
    func relu() {
        var g = GradCheck()
        let layer = ReLU()
        let x = Tensor(2, 3, 4, 4); g.fillDistinct(x)
        let r = (0..<x.count).map { _ in Float(g.rng.normal()) }
        checkLayer(forward: { layer.forward($0) }, backward: { layer.backward($0) }, params: [], x: x, r: r)
    }

    @Test("2×2 max-pool")
    func maxpool() {
        var g = GradCheck()
        let layer = MaxPool2()
        let x = Tensor(2, 2, 4, 6); g.fillDistinct(x)
        let r = (0..<(2 * 2 * 2 * 3)).map { _ in Float(g.rng.normal()) }
        checkLayer(forward: { layer.forward($0) }, backward: { layer.backward($0) }, params: [], x: x, r: r)
        // Hand check: the maximum of each 2×2 block.
        let t = Tensor(1, 1, 2, 2); t.copy(from: [1, 5, -3, 2])
        #expect(layer.forward(t).array == [5])
    }

    @Test("2×2 transposed convolution (stride 2)")
    func upconv() {
        var g = GradCheck()
        let layer = UpConv2(name: "u", inC: 3, outC: 2)
        g.fill(layer.weight.value, scale: 0.5); g.fill(layer.bias.value)
        let x = Tensor(2, 3, 3, 4); g.fill(x)
        let r = (0..<(2 * 2 * 6 * 8)).map { _ in Float(g.rng.normal()) }
        checkLayer(forward: { layer.forward($0) }, backward: { layer.backward($0) }, params: layer.params, x: x, r: r)
    }

    @Test("transposed convolution places each kernel tap at (2y+dy, 2x+dx)")
    func upconvLayout() {
        let layer = UpConv2(name: "u", inC: 1, outC: 1)
        layer.weight.value.copy(from: [1, 2, 3, 4])
        let x = Tensor(1, 1, 1, 2); x.copy(from: [1, 10])
        #expect(layer.forward(x).array == [1, 2, 10, 20, 3, 4, 30, 40])
    }

    @Test("concatenation")
    func concat() {
        var g = GradCheck()
        let layer = Concat()
        let a = Tensor(2, 2, 3, 3), b = Tensor(2, 3, 3, 3)
        g.fill(a); g.fill(b)
        let r = (0..<(2 * 5 * 9)).map { _ in Float(g.rng.normal()) }
        let rt = Tensor(2, 5, 3, 3); rt.copy(from: r)
        _ = layer.forward(a, b)
        let (ga, gb) = layer.backward(rt)
        let gaA = ga.array, gbA = gb.array
        _ = layer.forward(a, b)
        let ea = GradCheck.compare(values: a, analytic: gaA) { GradCheck.dot(layer.forward(a, b), r) }
        let eb = GradCheck.compare(values: b, analytic: gbA) { GradCheck.dot(layer.forward(a, b), r) }
        #expect(ea < 1e-2 && eb < 1e-2)
    }

    @Test("group normalisation", arguments: [1, 2, 4])
    func groupnorm(groups: Int) {
        var g = GradCheck()
        let layer = GroupNorm(name: "n", channels: 4, groups: groups)
        g.fill(layer.gamma.value); g.fill(layer.beta.value)
        let x = Tensor(2, 4, 3, 3); g.fill(x, scale: 2)
        let r = (0..<x.count).map { _ in Float(g.rng.normal()) }
        checkLayer(forward: { layer.forward($0) }, backward: { layer.backward($0) }, params: layer.params, x: x, r: r,
                   eps: 1e-2, tolerance: 2e-2)
        // The normalised output has zero mean per group (beta = 0, gamma = 1).
        let plain = GroupNorm(name: "p", channels: 4, groups: groups)
        let y = plain.forward(x).array
        let per = y.count / (2 * groups)
        for k in 0..<(2 * groups) {
            let m = y[(k * per)..<((k + 1) * per)].reduce(0, +) / Float(per)
            #expect(abs(m) < 1e-4)
        }
    }

    @Test("group normalisation with the fused ReLU")
    func groupnormReLU() {
        var g = GradCheck()
        let layer = GroupNorm(name: "n", channels: 4, groups: 2, relu: true)
        g.fill(layer.gamma.value); g.fill(layer.beta.value)
        let x = Tensor(2, 4, 3, 3); g.fill(x, scale: 2)
        let r = (0..<x.count).map { _ in Float(g.rng.normal()) }
        checkLayer(forward: { layer.forward($0) }, backward: { layer.backward($0) }, params: layer.params, x: x, r: r,
                   eps: 1e-3, tolerance: 2e-2)
        let y = layer.forward(x).array
        #expect(y.allSatisfy { $0 >= 0 } && y.contains { $0 > 0 } && y.contains(0))
    }

    @Test("sigmoid + weighted BCE + Dice loss gradient", arguments: [Float(0), 1])
    func loss(dice: Float) {
        var g = GradCheck()
        let z = Tensor(2, 1, 3, 4); g.fill(z, scale: 2)
        let target = (0..<z.count).map { _ in Float(g.rng.below(2)) }
        let loss = SegmentationLoss(positiveWeight: 2, diceWeight: dice)
        let grad = Tensor()
        target.withUnsafeBufferPointer { t in
            _ = loss.evaluate(logits: z, target: t.baseAddress!, grad: grad)
            let analytic = grad.array
            let scratch = Tensor()
            let err = GradCheck.compare(values: z, analytic: analytic, eps: 1e-2) {
                Double(loss.evaluate(logits: z, target: t.baseAddress!, grad: scratch))
            }
            #expect(err < 5e-3)
        }
        // Hand check: z = 0 everywhere, all targets 0, no Dice → BCE = log 2.
        let z0 = Tensor(1, 1, 1, 4)
        let zeros = [Float](repeating: 0, count: 4)
        let l = zeros.withUnsafeBufferPointer { SegmentationLoss(diceWeight: 0).evaluate(logits: z0, target: $0.baseAddress!, grad: grad) }
        #expect(abs(l - 0.693147) < 1e-5)
    }

    @Test("AdamW: first step moves each weight by lr against its gradient's sign, plus decay")
    func adam() {
        let p = Param(name: "w", shape: [3], decays: true)
        p.value.copy(from: [1, -2, 0.5])
        p.grad.copy(from: [0.3, -4, 0])
        var opt = AdamW(weightDecay: 0.1)
        opt.update([p], lr: 0.01)
        let v = p.value.array
        #expect(abs(v[0] - (1 - 0.01 * (1 + 0.1 * 1))) < 1e-5)
        #expect(abs(v[1] - (-2 - 0.01 * (-1 + 0.1 * -2))) < 1e-5)
        #expect(abs(v[2] - (0.5 - 0.01 * 0.1 * 0.5)) < 1e-5)
    }
}

/// Checks dL/dx and every parameter gradient of a layer for L = Σ r·y.
func checkLayer(forward: (Tensor) -> Tensor, backward: (Tensor) -> Tensor, params: [Param], x: Tensor, r: [Float],
                eps: Float = 1e-2, tolerance: Double = 1e-2, sourceLocation: SourceLocation = #_sourceLocation) {
    for p in params { p.grad.zero() }
    let y = forward(x)
    let rt = Tensor(y.n, y.c, y.h, y.w)
    rt.copy(from: r)
    let dx = backward(rt).array
    let errX = GradCheck.compare(values: x, analytic: dx, eps: eps) { GradCheck.dot(forward(x), r) }
    #expect(errX < tolerance, "input gradient error \(errX)", sourceLocation: sourceLocation)
    for p in params {
        let analytic = p.grad.array
        let err = GradCheck.compare(values: p.value, analytic: analytic, eps: eps) { GradCheck.dot(forward(x), r) }
        #expect(err < tolerance, "\(p.name) gradient error \(err)", sourceLocation: sourceLocation)
    }
}
