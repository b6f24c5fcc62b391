import Kernels

/// Rectified linear unit.
final class ReLU: @unchecked Sendable {
    let output = Tensor()
    let gradInput = Tensor()

    func forward(_ x: Tensor) -> Tensor {
        output.reshape(like: x)
        let src = UnsafePointer(x.pointer), dst = output.pointer, n = x.count
        let chunk = 1 << 16
        parallelFor((n + chunk - 1) / chunk) { b in
            for i in (b * chunk)..<min(n, (b + 1) * chunk) { dst[i] = max(src[i], 0) }
        }
        return output
    }

    func backward(_ dy: Tensor) -> Tensor {
        gradInput.reshape(like: dy)
        let y = UnsafePointer(output.pointer), g = UnsafePointer(dy.pointer), dst = gradInput.pointer, n = dy.count
        let chunk = 1 << 16
        parallelFor((n + chunk - 1) / chunk) { b in
            for i in (b * chunk)..<min(n, (b + 1) * chunk) { dst[i] = y[i] > 0 ? g[i] : 0 }
        }
        return gradInput
    }
}

/// 2×2 max pooling with stride 2 (even sizes; the first maximum wins a tie).
final class MaxPool2: @unchecked Sendable {
    let output = Tensor()
    let gradInput = Tensor()
    private var argmax: [UInt8] = []
    private var inShape = (0, 0, 0, 0)

    func forward(_ x: Tensor) -> Tensor {
        let n = x.n, c = x.c, h = x.h, w = x.w, oh = h / 2, ow = w / 2
        inShape = (n, c, h, w)
        output.reshape(n, c, oh, ow)
        if argmax.count < output.count { argmax = [UInt8](repeating: 0, count: output.count) }
        let src = UnsafePointer(x.pointer), dst = output.pointer
        argmax.withUnsafeMutableBufferPointer { am in
            let amp = am.baseAddress!
            parallelFor(n * c) { p in
                let s = src + p * h * w, d = dst + p * oh * ow, a = amp + p * oh * ow
                for y in 0..<oh {
                    let r0 = s + 2 * y * w, r1 = r0 + w
                    for xo in 0..<ow {
                        var best = r0[2 * xo], idx: UInt8 = 0
                        if r0[2 * xo + 1] > best { best = r0[2 * xo + 1]; idx = 1 }
                        if r1[2 * xo] > best { best = r1[2 * xo]; idx = 2 }
                        if r1[2 * xo + 1] > best { best = r1[2 * xo + 1]; idx = 3 }
                        d[y * ow + xo] = best
                        a[y * ow + xo] = idx
                    }
                }
            }
        }
        return output
    }

    /// Inference: pools n samples of c×h×w (`stride` floats apart) into `output`, without the argmax.
    func infer(_ src: UnsafePointer<Float>, n: Int, c: Int, h: Int, w: Int, stride: Int) -> Tensor {
        let oh = h / 2, ow = w / 2
        output.reshape(n, c, oh, ow)
        let dst = output.pointer
        parallelFor(n * c) { p in
            let s = src + (p / c) * stride + (p % c) * h * w, d = dst + p * oh * ow
            for y in 0..<oh {
                let r0 = s + 2 * y * w, r1 = r0 + w, o = d + y * ow
                for xo in 0..<ow { o[xo] = max(max(r0[2 * xo], r0[2 * xo + 1]), max(r1[2 * xo], r1[2 * xo + 1])) }
            }
        }
        return output
    }

    func backward(_ dy: Tensor) -> Tensor {
        let (n, c, h, w) = inShape
        let oh = h / 2, ow = w / 2
        gradInput.reshape(n, c, h, w)
        gradInput.zero()
        let g = UnsafePointer(dy.pointer), dst = gradInput.pointer
        argmax.withUnsafeBufferPointer { am in
            let amp = am.baseAddress!
            parallelFor(n * c) { p in
                let gs = g + p * oh * ow, d = dst + p * h * w, a = amp + p * oh * ow
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let idx = Int(a[y * ow + xo])
                        d[(2 * y + (idx >> 1)) * w + 2 * xo + (idx & 1)] = gs[y * ow + xo]
                    }
                }
            }
        }
        return gradInput
    }
}

/// 2×2 transposed convolution with stride 2 (doubles the size). Weights are (in, out, 2, 2) as in PyTorch.
final class UpConv2: @unchecked Sendable {
    let inC: Int, outC: Int
    let weight: Param
    let bias: Param
    private var input: Tensor?
    let output = Tensor()
    let gradInput = Tensor()
    private let scratch = Scratch()
    private let partial = Scratch()

    init(name: String, inC: Int, outC: Int) {
        self.inC = inC; self.outC = outC
        weight = Param(name: name + ".weight", shape: [inC, outC, 2, 2], decays: true)
        bias = Param(name: name + ".bias", shape: [outC], decays: false)
    }

    var params: [Param] { [weight, bias] }

    func forward(_ x: Tensor) -> Tensor {
        input = x
        output.reshape(x.n, outC, 2 * x.h, 2 * x.w)
        run(UnsafePointer(x.pointer), n: x.n, h: x.h, w: x.w, out: output.pointer, outStride: outC * 4 * x.plane)
        return output
    }

    /// Inference: the forward pass of n samples (inC×h×w, contiguous) into `out`, samples `outStride` floats apart.
    func infer(_ x: UnsafePointer<Float>, n: Int, h: Int, w: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        run(x, n: n, h: h, w: w, out: out, outStride: outStride)
    }

    private func run(_ xin: UnsafePointer<Float>, n: Int, h: Int, w: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        let hw = h * w, ow = 2 * w, ohw = 4 * hw
        let rows = bandRows(h: h, w: w), bands = (h + rows - 1) / rows
        let M = outC * 4, inC = inC, outC = outC
        let W = UnsafePointer(weight.value.pointer), B = UnsafePointer(bias.value.pointer)
        scratch.ensure(Threads.count)
        parallelChunks(n * bands) { worker, range in
            let t = self.scratch.get(worker, count: M * rows * w).pointer
            for item in range {
                let i = item / bands, y0 = (item % bands) * rows, y1 = min(h, y0 + rows), nb = (y1 - y0) * w
                sgemm(transA: true, m: M, n: nb, k: inC, a: W, lda: M, b: xin + i * inC * hw + y0 * w, ldb: hw,
                      beta: 0, c: t, ldc: nb)
                for o in 0..<outC {
                    let bv = B[o]
                    let dplane = out + i * outStride + o * ohw
                    for q in 0..<4 {
                        let dy = q >> 1, dx = q & 1
                        let trow = t + (o * 4 + q) * nb
                        for y in y0..<y1 {
                            let d = dplane + (2 * y + dy) * ow + dx
                            let s = trow + (y - y0) * w
                            for xx in 0..<w { d[2 * xx] = s[xx] + bv }
                        }
                    }
                }
            }
        }
    }

    func backward(_ dyT: Tensor) -> Tensor {
        guard let x = input else { return gradInput }
        let n = x.n, h = x.h, w = x.w, hw = h * w, ow = 2 * w, ohw = 4 * hw
        gradInput.reshape(n, inC, h, w)
        let M = outC * 4, inC = inC, outC = outC, wCount = inC * M
        let W = UnsafePointer(weight.value.pointer)
        let xin = UnsafePointer(x.pointer), g = UnsafePointer(dyT.pointer), dxp = gradInput.pointer
        let workers = min(Threads.count, n)
        scratch.ensure(workers); partial.ensure(workers)
        parallelChunks(n) { worker, range in
            let acc = self.partial.get(worker, count: wCount + outC).pointer
            acc.update(repeating: 0, count: wCount + outC)
            let t = self.scratch.get(worker, count: M * hw).pointer
            for i in range {
                for o in 0..<outC {
                    let gplane = g + (i * outC + o) * ohw
                    var s: Float = 0
                    for q in 0..<4 {
                        let dy = q >> 1, dx = q & 1
                        let trow = t + (o * 4 + q) * hw
                        for y in 0..<h {
                            let src = gplane + (2 * y + dy) * ow + dx
                            let d = trow + y * w
                            for xx in 0..<w { d[xx] = src[2 * xx]; s += src[2 * xx] }
                        }
                    }
                    acc[wCount + o] += s
                }
                let xs = xin + i * inC * hw
                sgemm(transB: true, m: inC, n: M, k: hw, a: xs, lda: hw, b: t, ldb: hw, beta: 1, c: acc, ldc: M)
                sgemm(m: inC, n: hw, k: M, a: W, lda: M, b: t, ldb: hw, beta: 0, c: dxp + i * inC * hw, ldc: hw)
            }
        }
        let gw = weight.grad.pointer, gb = bias.grad.pointer
        for worker in 0..<workers {
            let acc = partial.get(worker, count: wCount + outC).pointer
            for j in 0..<wCount { gw[j] += acc[j] }
            for o in 0..<outC { gb[o] += acc[wCount + o] }
        }
        return gradInput
    }
}

/// Concatenation along channels: [a; b].
final class Concat: @unchecked Sendable {
    let output = Tensor()
    let gradA = Tensor()
    let gradB = Tensor()
    private var ca = 0, cb = 0

    func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        ca = a.c; cb = b.c
        output.reshape(a.n, ca + cb, a.h, a.w)
        let sa = a.sampleCount, sb = b.sampleCount
        let pa = UnsafePointer(a.pointer), pb = UnsafePointer(b.pointer), d = output.pointer
        parallelFor(a.n) { i in
            (d + i * (sa + sb)).update(from: pa + i * sa, count: sa)
            (d + i * (sa + sb) + sa).update(from: pb + i * sb, count: sb)
        }
        return output
    }

    func backward(_ dy: Tensor) -> (Tensor, Tensor) {
        gradA.reshape(dy.n, ca, dy.h, dy.w)
        gradB.reshape(dy.n, cb, dy.h, dy.w)
        let sa = gradA.sampleCount, sb = gradB.sampleCount
        let g = UnsafePointer(dy.pointer), da = gradA.pointer, db = gradB.pointer
        parallelFor(dy.n) { i in
            (da + i * sa).update(from: g + i * (sa + sb), count: sa)
            (db + i * sb).update(from: g + i * (sa + sb) + sa, count: sb)
        }
        return (gradA, gradB)
    }
}

/// Group normalisation (per sample, over groups of channels), with a per-channel scale and shift,
/// optionally followed by a fused ReLU (one memory pass less each way).
final class GroupNorm: @unchecked Sendable {
    let channels: Int, groups: Int
    let relu: Bool
    let gamma: Param
    let beta: Param
    let eps: Float = 1e-5
    private var input: Tensor?
    let output = Tensor()
    let gradInput = Tensor()
    private var mean: [Float] = []
    private var rstd: [Float] = []
    private let partial = Scratch()

    init(name: String, channels: Int, groups: Int, relu: Bool = false) {
        self.channels = channels
        self.relu = relu
        self.groups = max(1, min(groups, channels))
        precondition(channels % self.groups == 0)
        gamma = Param(name: name + ".weight", shape: [channels], decays: false)
        beta = Param(name: name + ".bias", shape: [channels], decays: false)
        gamma.value.buffer.update(repeating: 1)
    }

    var params: [Param] { [gamma, beta] }

    func forward(_ x: Tensor) -> Tensor {
        input = x
        output.reshape(like: x)
        normalise(UnsafePointer(x.pointer), into: output.pointer, n: x.n, plane: x.plane, stride: x.sampleCount)
        return output
    }

    /// Inference: normalises (and ReLUs) n samples of channels×plane, `stride` floats apart, in place.
    func inferInPlace(_ x: UnsafeMutablePointer<Float>, n: Int, plane: Int, stride: Int) {
        normalise(UnsafePointer(x), into: x, n: n, plane: plane, stride: stride)
    }

    /// The forward arithmetic; `dst` may equal `src` (each group is read fully before it is written).
    private func normalise(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, n: Int, plane hw: Int, stride: Int) {
        let G = groups, cg = channels / G, size = cg * hw
        if mean.count < n * G { mean = [Float](repeating: 0, count: n * G); rstd = mean }
        let ga = UnsafePointer(gamma.value.pointer), be = UnsafePointer(beta.value.pointer)
        let eps = eps, relu = relu
        mean.withUnsafeMutableBufferPointer { mb in
            rstd.withUnsafeMutableBufferPointer { rb in
                let mp = mb.baseAddress!, rp = rb.baseAddress!
                parallelFor(n * G) { item in
                    let g = item % G, off = (item / G) * stride + g * size
                    let s = src + off, d = dst + off
                    // One pass: Σx and Σx² (float lanes per 4096 values, accumulated in Double).
                    var sum = 0.0, sq = 0.0
                    var j = 0
                    while j < size {
                        let e = min(size, j + 4096)
                        let (a, b) = vsumAndSquares(s + j, e - j)
                        sum += Double(a); sq += Double(b); j = e
                    }
                    let mu = sum / Double(size)
                    let ss = max(sq - sum * mu, 0)
                    let muf = Float(mu)
                    let r = Float(1 / (ss / Double(size) + Double(eps)).squareRoot())
                    mp[item] = muf; rp[item] = r
                    for cc in 0..<cg {
                        let ch = g * cg + cc
                        let a = ga[ch] * r, b = be[ch] - muf * a
                        let sp = s + cc * hw, dp = d + cc * hw
                        vscaleShift(dp, sp, hw, a: a, b: b, relu: relu)
                    }
                }
            }
        }
    }

    func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { return gradInput }
        gradInput.reshape(like: x)
        let n = x.n, G = groups, C = channels, cg = C / G, hw = x.plane, size = cg * hw
        let src = UnsafePointer(x.pointer), dst = gradInput.pointer
        let ga = UnsafePointer(gamma.value.pointer)
        let workers = min(Threads.count, n * G)
        // With the fused ReLU, dy is masked by the output's sign channel by channel into gradInput (while the
        // plane is in cache) and read back from there.
        let relu = relu, yp = UnsafePointer(output.pointer), dyp = UnsafePointer(dy.pointer)
        partial.ensure(workers)
        mean.withUnsafeBufferPointer { mb in
            rstd.withUnsafeBufferPointer { rb in
                let mp = mb.baseAddress!, rp = rb.baseAddress!
                parallelChunks(n * G) { worker, range in
                    let acc = self.partial.get(worker, count: 2 * C).pointer
                    acc.update(repeating: 0, count: 2 * C)
                    for item in range {
                        let g = item % G
                        let mu = mp[item], r = rp[item]
                        let s = src + item * size, d = dst + item * size
                        let gs = relu ? UnsafePointer(d) : dyp + item * size
                        // dxhat = dy·gamma; mean(dxhat) and mean(dxhat·xhat) over the group.
                        var sumD = 0.0, sumDX = 0.0
                        for cc in 0..<cg {
                            let ch = g * cg + cc
                            let sp = s + cc * hw, gq = gs + cc * hw
                            if relu {
                                let yq = yp + item * size + cc * hw, dq = dyp + item * size + cc * hw, mq = d + cc * hw
                                vmaskPositive(mq, yq, dq, hw)
                            }
                            let (sg, sgx) = vsumGradients(gq, sp, hw, mu: mu, r: r)
                            acc[ch] += sgx; acc[C + ch] += sg
                            sumD += Double(sg * ga[ch]); sumDX += Double(sgx * ga[ch])
                        }
                        let m1 = Float(sumD / Double(size)), m2 = Float(sumDX / Double(size))
                        for cc in 0..<cg {
                            let ch = g * cg + cc
                            let gam = ga[ch]
                            let sp = s + cc * hw, gq = gs + cc * hw, dp = d + cc * hw
                            vnormGradient(dp, gq, sp, hw, gamma: gam, mu: mu, r: r, m1: m1, m2: m2)
                        }
                    }
                }
            }
        }
        let gg = gamma.grad.pointer, gb = beta.grad.pointer
        for worker in 0..<workers {
            let acc = partial.get(worker, count: 2 * C).pointer
            for ch in 0..<C { gg[ch] += acc[ch]; gb[ch] += acc[C + ch] }
        }
        return gradInput
    }
}
