import Foundation
import Kernels
import KernelsSIMD

/// Per-worker scratch tensors (im2col columns, partial gradients), grown on demand.
final class Scratch: @unchecked Sendable {
    private var tensors: [Tensor] = []
    /// Creates the per-worker tensors; call before a parallel section (appending is not thread-safe).
    func ensure(_ workers: Int) {
        while tensors.count < workers { tensors.append(Tensor()) }
    }
    func get(_ worker: Int, count: Int) -> Tensor {
        let t = tensors[worker]
        t.reshape(1, 1, 1, count)
        return t
    }
}

/// Splits rows of an h×w plane into bands of at most about `pixels` pixels (memory bound for im2col).
@inline(__always)
func bandRows(h: Int, w: Int, pixels: Int = bandPixels) -> Int { max(1, min(h, pixels / max(w, 1))) }

/// Pixels per im2col band (EMSH_BAND_PIXELS overrides, for benchmarking).
let bandPixels: Int = {
    if let s = ProcessInfo.processInfo.environment["EMSH_BAND_PIXELS"], let n = Int(s), n >= 64 { return n }
    return 4096
}()

/// Whether 3×3 convolutions run the direct AVX-512 kernels (`Conv3x3.c`) rather than im2col + sgemm:
/// on CPUs that have it, unless EMSH_CONV=im2col (benchmarks and the tests that compare the two).
let directConv3x3: Bool = emsh_conv3x3_available() != 0 && ProcessInfo.processInfo.environment["EMSH_CONV"] != "im2col"

/// A k×k convolution (k = 1, or k = 3 with padding 1), stride 1: a 3×3 convolution's forward pass, input gradient
/// and weight gradient by the direct kernels where the CPU has AVX-512, otherwise (and 1×1 always) via im2col and
/// single-threaded `cblas_sgemm` per worker. Weights are (out, in, k, k) as in PyTorch.
final class Conv2D: @unchecked Sendable {
    let inC: Int, outC: Int, k: Int
    let weight: Param
    let bias: Param?
    /// False for the first layer: the input gradient is never needed there.
    var needsInputGrad = true
    /// The direct kernel for k = 3 (false: im2col + sgemm; the tests compare the two).
    var direct = directConv3x3
    private var input: Tensor?
    let output = Tensor()
    let gradInput = Tensor()
    fileprivate let cols = Scratch()
    private let partial = Scratch()
    fileprivate let flipped = Tensor()
    /// The weights (or the flipped ones, for the input gradient) in the direct kernel's blocks of 16 outputs.
    fileprivate let packed = Tensor()

    init(name: String, inC: Int, outC: Int, k: Int, bias: Bool) {
        precondition(k == 1 || k == 3)
        self.inC = inC; self.outC = outC; self.k = k
        weight = Param(name: name + ".weight", shape: [outC, inC, k, k], decays: true)
        self.bias = bias ? Param(name: name + ".bias", shape: [outC], decays: false) : nil
    }

    var params: [Param] { bias.map { [weight, $0] } ?? [weight] }
    private var kk: Int { inC * k * k }

    func forward(_ x: Tensor) -> Tensor {
        input = x
        output.reshape(x.n, outC, x.h, x.w)
        let hw = x.h * x.w
        run(UnsafePointer(x.pointer), n: x.n, h: x.h, w: x.w, inStride: inC * hw, out: output.pointer, outStride: outC * hw)
        return output
    }

    /// The forward convolution without keeping anything for backward (inference): reads n samples of inC×h×w
    /// `inStride` floats apart and writes n samples of outC×h×w `outStride` floats apart (e.g. into one half
    /// of a concatenation buffer). Same arithmetic as `forward`.
    func infer(_ x: UnsafePointer<Float>, n: Int, h: Int, w: Int, inStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        run(x, n: n, h: h, w: w, inStride: inStride, out: out, outStride: outStride)
    }

    private func run(_ xin: UnsafePointer<Float>, n: Int, h: Int, w: Int, inStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        let hw = h * w
        let rows = bandRows(h: h, w: w)
        let bands = (h + rows - 1) / rows
        let K = kk
        let W = UnsafePointer(weight.value.pointer)
        let bptr = bias.map { UnsafePointer($0.value.pointer) }
        let inC = inC, outC = outC, k = k
        if k == 3 && direct {
            let P = pack(W, outC: outC, inC: inC)
            parallelFor(n * bands) { item in
                let i = item / bands, y0 = (item % bands) * rows, y1 = min(h, y0 + rows)
                _ = emsh_conv3x3_rows(xin + i * inStride, Int32(inC), Int32(h), Int32(w), P, Int32(outC),
                                      Int32(y0), Int32(y1), out + i * outStride)
                if let bptr { addBias(bptr, outC: outC, to: out + i * outStride + y0 * w, count: (y1 - y0) * w, planeStride: hw) }
            }
            return
        }
        cols.ensure(Threads.count)
        parallelChunks(n * bands) { worker, range in
            let col = k == 3 ? self.cols.get(worker, count: K * rows * w).pointer : nil
            for item in range {
                let i = item / bands, y0 = (item % bands) * rows, y1 = min(h, y0 + rows)
                let nb = (y1 - y0) * w
                let xs = xin + i * inStride
                let dst = out + i * outStride + y0 * w
                if let col {
                    im2col3(xs, c: inC, h: h, w: w, y0: y0, y1: y1, col: col)
                    sgemm(m: outC, n: nb, k: K, a: W, lda: K, b: col, ldb: nb, beta: 0, c: dst, ldc: hw)
                } else {
                    sgemm(m: outC, n: nb, k: K, a: W, lda: K, b: xs + y0 * w, ldb: hw, beta: 0, c: dst, ldc: hw)
                }
                if let bptr { addBias(bptr, outC: outC, to: dst, count: nb, planeStride: hw) }
            }
        }
    }

    /// Repacks weights (outC, inC, 3, 3) for the direct kernel into `packed`.
    fileprivate func pack(_ weights: UnsafePointer<Float>, outC: Int, inC: Int) -> UnsafePointer<Float> {
        packed.reshape(1, 1, 1, emsh_conv3x3_packed_count(Int32(outC), Int32(inC)))
        emsh_conv3x3_pack(weights, Int32(outC), Int32(inC), packed.pointer)
        return UnsafePointer(packed.pointer)
    }

    /// Accumulates the parameter gradients (into `grad`, which the caller zeroes per step) and returns dL/dx.
    func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { return gradInput }
        let n = x.n, h = x.h, w = x.w, hw = h * w
        if needsInputGrad { gradInput.reshape(n, inC, h, w) }
        let rows = bandRows(h: h, w: w)
        let K = kk, outC = outC, inC = inC, k = k
        let wCount = outC * K
        let W = UnsafePointer(weight.value.pointer)
        let needDX = needsInputGrad
        let xin = UnsafePointer(x.pointer), dyp = UnsafePointer(dy.pointer), dxp = gradInput.pointer
        let hasBias = bias != nil
        let workers = min(Threads.count, n)
        partial.ensure(workers); cols.ensure(workers)
        parallelChunks(n) { worker, range in
            let acc = self.partial.get(worker, count: wCount + outC).pointer
            acc.update(repeating: 0, count: wCount + outC)
            let direct = k == 3 && self.direct
            let scratch = direct ? emsh_conv3x3_grad_scratch_count(Int32(w), Int32(rows * w)) : K * rows * w
            let col = self.cols.get(worker, count: scratch).pointer
            for i in range {
                let xs = xin + i * inC * hw
                let dys = dyp + i * outC * hw
                let dxs = dxp + i * inC * hw
                var y0 = 0
                while y0 < h {
                    let y1 = min(h, y0 + rows), nb = (y1 - y0) * w
                    let g = dys + y0 * w
                    if direct {
                        _ = emsh_conv3x3_weight_grad_rows(xs, Int32(inC), Int32(h), Int32(w), dys, Int32(outC),
                                                          Int32(y0), Int32(y1), col, acc)
                    } else if k == 3 {
                        im2col3(xs, c: inC, h: h, w: w, y0: y0, y1: y1, col: col)
                        sgemm(transB: true, m: outC, n: K, k: nb, a: g, lda: hw, b: col, ldb: nb, beta: 1, c: acc, ldc: K)
                    } else {
                        sgemm(transB: true, m: outC, n: K, k: nb, a: g, lda: hw, b: xs + y0 * w, ldb: hw, beta: 1, c: acc, ldc: K)
                        if needDX {
                            sgemm(transA: true, m: K, n: nb, k: outC, a: W, lda: K, b: g, ldb: hw, beta: 0, c: dxs + y0 * w, ldc: hw)
                        }
                    }
                    y0 = y1
                }
                if hasBias {
                    for o in 0..<outC {
                        let row = dys + o * hw
                        var s: Float = 0
                        for j in 0..<hw { s += row[j] }
                        acc[wCount + o] += s
                    }
                }
            }
        }
        // Sum the workers' partial gradients in worker order (deterministic for a thread count).
        let gw = weight.grad.pointer
        for worker in 0..<workers {
            let acc = partial.get(worker, count: wCount + outC).pointer
            for j in 0..<wCount { gw[j] += acc[j] }
            if let b = bias { for o in 0..<outC { b.grad.pointer[o] += acc[wCount + o] } }
        }
        if needDX && k == 3 { backwardData3(dy, n: n, h: h, w: w) }
        return gradInput
    }
}

extension Conv2D {
    /// dL/dx of a 3×3 convolution as the convolution of dy with the flipped, transposed kernel:
    /// im2col over dy's rows (no scatter-add), parallel over (image, row band).
    fileprivate func backwardData3(_ dy: Tensor, n: Int, h: Int, w: Int) {
        let inC = inC, outC = outC, hw = h * w, K = outC * 9
        flipped.reshape(1, 1, inC, K)
        let src = weight.value.pointer, wt = flipped.pointer
        for o in 0..<outC {
            for c in 0..<inC {
                for t in 0..<9 { wt[c * K + o * 9 + (8 - t)] = src[(o * inC + c) * 9 + t] }
            }
        }
        let rows = bandRows(h: h, w: w), bands = (h + rows - 1) / rows
        let g = UnsafePointer(dy.pointer), dxp = gradInput.pointer, W = UnsafePointer(wt)
        if direct {
            let P = pack(W, outC: inC, inC: outC)
            parallelFor(n * bands) { item in
                let i = item / bands, y0 = (item % bands) * rows, y1 = min(h, y0 + rows)
                _ = emsh_conv3x3_rows(g + i * outC * hw, Int32(outC), Int32(h), Int32(w), P, Int32(inC),
                                      Int32(y0), Int32(y1), dxp + i * inC * hw)
            }
            return
        }
        cols.ensure(Threads.count)
        parallelChunks(n * bands) { worker, range in
            let col = self.cols.get(worker, count: K * rows * w).pointer
            for item in range {
                let i = item / bands, y0 = (item % bands) * rows, y1 = min(h, y0 + rows), nb = (y1 - y0) * w
                im2col3(g + i * outC * hw, c: outC, h: h, w: w, y0: y0, y1: y1, col: col)
                sgemm(m: inC, n: nb, k: K, a: W, lda: K, b: col, ldb: nb, beta: 0, c: dxp + i * inC * hw + y0 * w, ldc: hw)
            }
        }
    }
}

/// Adds bias[o] to `count` values of each of outC planes (`planeStride` apart) from `dst`.
@inline(__always)
private func addBias(_ bias: UnsafePointer<Float>, outC: Int, to dst: UnsafeMutablePointer<Float>, count: Int, planeStride: Int) {
    for o in 0..<outC {
        let row = dst + o * planeStride, bv = bias[o]
        for j in 0..<count { row[j] += bv }
    }
}

/// im2col for a 3×3 kernel with padding 1: rows [y0, y1) of one image (c×h×w) into col[(c·9), (y1−y0)·w].
func im2col3(_ x: UnsafePointer<Float>, c: Int, h: Int, w: Int, y0: Int, y1: Int, col: UnsafeMutablePointer<Float>) {
    let nb = (y1 - y0) * w, hw = h * w
    for ch in 0..<c {
        let src = x + ch * hw
        for ky in 0..<3 {
            for kx in 0..<3 {
                let dst = col + ((ch * 3 + ky) * 3 + kx) * nb
                for y in y0..<y1 {
                    let sy = y + ky - 1
                    let d = dst + (y - y0) * w
                    if sy < 0 || sy >= h { d.update(repeating: 0, count: w); continue }
                    let s = src + sy * w
                    switch kx {
                    case 0:
                        d[0] = 0
                        (d + 1).update(from: s, count: w - 1)
                    case 1:
                        d.update(from: s, count: w)
                    default:
                        d.update(from: s + 1, count: w - 1)
                        d[w - 1] = 0
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col3`: adds col[(c·9), (y1−y0)·w] into dx (c×h×w).
func col2im3(_ col: UnsafePointer<Float>, c: Int, h: Int, w: Int, y0: Int, y1: Int, dx: UnsafeMutablePointer<Float>) {
    let nb = (y1 - y0) * w, hw = h * w
    for ch in 0..<c {
        let dst = dx + ch * hw
        for ky in 0..<3 {
            for kx in 0..<3 {
                let src = col + ((ch * 3 + ky) * 3 + kx) * nb
                for y in y0..<y1 {
                    let sy = y + ky - 1
                    if sy < 0 || sy >= h { continue }
                    let s = src + (y - y0) * w
                    let d = dst + sy * w
                    switch kx {
                    case 0: for j in 1..<w { d[j - 1] += s[j] }
                    case 1: for j in 0..<w { d[j] += s[j] }
                    default: for j in 0..<(w - 1) { d[j + 1] += s[j] }
                    }
                }
            }
        }
    }
}
