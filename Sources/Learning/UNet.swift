import _Platform
import Foundation
import Kernels

/// Two 3×3 convolutions, each followed by group normalisation and ReLU (fused into the normalisation).
final class ConvBlock: @unchecked Sendable {
    let conv1: Conv2D, norm1: GroupNorm
    let conv2: Conv2D, norm2: GroupNorm

    init(name: String, inC: Int, outC: Int, groups: Int) {
        conv1 = Conv2D(name: name + ".conv1", inC: inC, outC: outC, k: 3, bias: false)
        norm1 = GroupNorm(name: name + ".norm1", channels: outC, groups: groups, relu: true)
        conv2 = Conv2D(name: name + ".conv2", inC: outC, outC: outC, k: 3, bias: false)
        norm2 = GroupNorm(name: name + ".norm2", channels: outC, groups: groups, relu: true)
    }

    var params: [Param] { conv1.params + norm1.params + conv2.params + norm2.params }

    func forward(_ x: Tensor) -> Tensor {
        norm2.forward(conv2.forward(norm1.forward(conv1.forward(x))))
    }

    func backward(_ dy: Tensor) -> Tensor {
        conv1.backward(norm1.backward(conv2.backward(norm2.backward(dy))))
    }
}

/// The network's shape: a 2D U-Net.
public struct Architecture: Sendable, Equatable {
    /// Resolution levels including the bottleneck (1 = a single block, no pooling).
    public var depth: Int
    /// Channels of the first level; doubled per level.
    public var width: Int
    /// Consecutive slices as input channels (1, 3 or 5).
    public var frames: Int
    /// Group-normalisation groups (clamped to the channel count).
    public var groups: Int
    /// The network sees bin×bin block means of the slices; its probabilities are interpolated back (`Binning.swift`).
    /// Patch and tile sizes count the network's (binned) pixels.
    public var bin: Int

    public init(depth: Int = 4, width: Int = 16, frames: Int = 1, groups: Int = 8, bin: Int = 1) {
        self.depth = depth; self.width = width; self.frames = frames; self.groups = groups; self.bin = bin
    }

    /// Tile and patch sizes must be multiples of this.
    public var sizeMultiple: Int { 1 << (depth - 1) }

    func validate() throws {
        guard (1...7).contains(depth) else { throw LearningError.invalid("depth must be 1…7 (got \(depth))") }
        guard (1...256).contains(width) else { throw LearningError.invalid("width must be 1…256 (got \(width))") }
        guard [1, 3, 5].contains(frames) else { throw LearningError.invalid("frames must be 1, 3 or 5 (got \(frames))") }
        guard groups >= 1 else { throw LearningError.invalid("groups must be at least 1 (got \(groups))") }
        guard (1...8).contains(bin) else { throw LearningError.invalid("bin must be 1…8 (got \(bin))") }
        let params = Model.expectedShapes(self).reduce(0) { $0 + $1.1.reduce(1, *) }
        guard params <= 100_000_000 else {
            throw LearningError.invalid("a U-Net of depth \(depth) and width \(width) has \(params) parameters, more than 100 million")
        }
    }

    /// Rough bytes of the activations (with gradients) for a batch of n×size×size: about 40 floats per pixel
    /// per first-level channel.
    func activationBytes(batch n: Int, size: Int) -> Int {
        MemoryBudget.bytes([n, size, size, width, 40], elementSize: 4) ?? Int.max
    }

    func channels(_ level: Int) -> Int { width << level }
    func groupCount(_ channels: Int) -> Int {
        var g = max(1, min(groups, channels))
        while channels % g != 0 { g -= 1 }
        return g
    }
}

/// The U-Net with its layers and reusable buffers.
final class UNet: @unchecked Sendable {
    let arch: Architecture
    let enc: [ConvBlock]
    let pools: [MaxPool2]
    let bottom: ConvBlock
    let ups: [UpConv2]
    let cats: [Concat]
    let dec: [ConvBlock]
    let head: Conv2D
    private var skips: [Tensor] = []
    /// When true the contracting path (encoder blocks and bottleneck) is not trained and not back-propagated.
    var freezeEncoder = false {
        didSet { for p in encoderParams { p.frozen = freezeEncoder } }
    }

    init(_ arch: Architecture) {
        self.arch = arch
        let levels = arch.depth - 1
        var enc: [ConvBlock] = [], ups: [UpConv2] = [], dec: [ConvBlock] = []
        for l in 0..<levels {
            let inC = l == 0 ? arch.frames : arch.channels(l - 1), c = arch.channels(l)
            enc.append(ConvBlock(name: "enc\(l)", inC: inC, outC: c, groups: arch.groupCount(c)))
            ups.append(UpConv2(name: "up\(l)", inC: arch.channels(l + 1), outC: c))
            dec.append(ConvBlock(name: "dec\(l)", inC: 2 * c, outC: c, groups: arch.groupCount(c)))
        }
        let bc = arch.channels(levels)
        bottom = ConvBlock(name: "bottom", inC: levels == 0 ? arch.frames : arch.channels(levels - 1), outC: bc,
                           groups: arch.groupCount(bc))
        head = Conv2D(name: "head", inC: arch.width, outC: 1, k: 1, bias: true)
        self.enc = enc; self.ups = ups; self.dec = dec
        pools = (0..<levels).map { _ in MaxPool2() }
        cats = (0..<levels).map { _ in Concat() }
        (enc.first ?? bottom).conv1.needsInputGrad = false
    }

    var encoderParams: [Param] { enc.flatMap(\.params) + bottom.params }

    /// Every parameter in a fixed order (the order of the saved tensors).
    var params: [Param] {
        var ps = enc.flatMap(\.params) + bottom.params
        for l in (0..<ups.count).reversed() { ps += ups[l].params + dec[l].params }
        return ps + head.params
    }

    var parameterCount: Int { params.reduce(0) { $0 + $1.count } }

    /// He-normal weights, zero biases, unit norm scales.
    func initialise(seed: UInt64) {
        var rng = SplitMix64.training(seed: seed)
        for p in params {
            if p.name.hasSuffix(".weight") && p.shape.count == 4 {
                let fanIn = p.name.hasPrefix("up") ? p.shape[0] : p.shape[1] * p.shape[2] * p.shape[3]
                let std = (2 / Double(fanIn)).squareRoot()
                let v = p.value.pointer
                for i in 0..<p.count { v[i] = Float(rng.normal() * std) }
            }
        }
    }

    func zeroGrad() { for p in params { p.grad.zero() } }

    /// Logits (n, 1, h, w) for an input (n, frames, h, w); h and w multiples of `arch.sizeMultiple`.
    func forward(_ x: Tensor) -> Tensor {
        var h = x
        skips.removeAll(keepingCapacity: true)
        // Ctrl-C: stop between blocks; the caller checks `Cancellation` before using the result.
        for l in 0..<enc.count {
            if Cancellation.isCancelled { return h }
            let s = enc[l].forward(h)
            skips.append(s)
            h = pools[l].forward(s)
        }
        h = bottom.forward(h)
        for l in (0..<enc.count).reversed() {
            if Cancellation.isCancelled { return h }
            h = dec[l].forward(cats[l].forward(ups[l].forward(h), skips[l]))
        }
        return head.forward(h)
    }

    /// Inference buffers per level: the concatenation [up; skip] (the encoder block writes its output straight
    /// into the skip half), two block temporaries, and the pooled input of the next level. Reused across calls.
    private var catBuf: [Tensor] = [], aBuf: [Tensor] = [], bBuf: [Tensor] = []
    private let logitBuf = Tensor()

    /// Logits like `forward`, for inference only: keeps nothing for backward, normalises in place and writes
    /// convolution outputs directly into the concatenation buffers (about a third of `forward`'s memory).
    /// Same arithmetic as `forward`, so the results are identical.
    func infer(_ x: Tensor) -> Tensor {
        let L = enc.count, n = x.n
        while catBuf.count < L + 1 { catBuf.append(Tensor()); aBuf.append(Tensor()); bBuf.append(Tensor()) }
        var cur = UnsafePointer(x.pointer), curC = x.c
        // Ctrl-C: stop between blocks; the caller checks `Cancellation` before using the result.
        for l in 0..<L {
            if Cancellation.isCancelled { return logitBuf }
            let h = x.h >> l, w = x.w >> l, hw = h * w, c = arch.channels(l)
            let cat = catBuf[l], a = aBuf[l]
            cat.reshape(n, 2 * c, h, w); a.reshape(n, c, h, w)
            let blk = enc[l]
            blk.conv1.infer(cur, n: n, h: h, w: w, inStride: curC * hw, out: a.pointer, outStride: c * hw)
            blk.norm1.inferInPlace(a.pointer, n: n, plane: hw, stride: c * hw)
            let skip = cat.pointer + c * hw
            blk.conv2.infer(UnsafePointer(a.pointer), n: n, h: h, w: w, inStride: c * hw, out: skip, outStride: 2 * c * hw)
            blk.norm2.inferInPlace(skip, n: n, plane: hw, stride: 2 * c * hw)
            cur = UnsafePointer(pools[l].infer(UnsafePointer(skip), n: n, c: c, h: h, w: w, stride: 2 * c * hw).pointer)
            curC = c
        }
        do {
            let h = x.h >> L, w = x.w >> L, hw = h * w, c = arch.channels(L)
            let a = aBuf[L], b = bBuf[L]
            a.reshape(n, c, h, w); b.reshape(n, c, h, w)
            bottom.conv1.infer(cur, n: n, h: h, w: w, inStride: curC * hw, out: a.pointer, outStride: c * hw)
            bottom.norm1.inferInPlace(a.pointer, n: n, plane: hw, stride: c * hw)
            bottom.conv2.infer(UnsafePointer(a.pointer), n: n, h: h, w: w, inStride: c * hw, out: b.pointer, outStride: c * hw)
            bottom.norm2.inferInPlace(b.pointer, n: n, plane: hw, stride: c * hw)
            cur = UnsafePointer(b.pointer); curC = c
        }
        for l in (0..<L).reversed() {
            if Cancellation.isCancelled { return logitBuf }
            let h = x.h >> l, w = x.w >> l, hw = h * w, c = arch.channels(l)
            let cat = catBuf[l], a = aBuf[l], b = bBuf[l]
            b.reshape(n, c, h, w)
            ups[l].infer(cur, n: n, h: h / 2, w: w / 2, out: cat.pointer, outStride: 2 * c * hw)
            let blk = dec[l]
            blk.conv1.infer(UnsafePointer(cat.pointer), n: n, h: h, w: w, inStride: 2 * c * hw, out: a.pointer, outStride: c * hw)
            blk.norm1.inferInPlace(a.pointer, n: n, plane: hw, stride: c * hw)
            blk.conv2.infer(UnsafePointer(a.pointer), n: n, h: h, w: w, inStride: c * hw, out: b.pointer, outStride: c * hw)
            blk.norm2.inferInPlace(b.pointer, n: n, plane: hw, stride: c * hw)
            cur = UnsafePointer(b.pointer); curC = c
        }
        logitBuf.reshape(n, 1, x.h, x.w)
        head.infer(cur, n: n, h: x.h, w: x.w, inStride: curC * x.plane, out: logitBuf.pointer, outStride: x.plane)
        return logitBuf
    }

    /// Back-propagates dL/dlogits, accumulating every parameter's gradient.
    func backward(_ dLogits: Tensor) {
        var g = head.backward(dLogits)
        var skipGrads: [Tensor] = []
        for l in 0..<dec.count {
            if Cancellation.isCancelled { return }
            let (gu, gs) = cats[l].backward(dec[l].backward(g))
            skipGrads.append(gs)
            g = ups[l].backward(gu)
        }
        if freezeEncoder { return }
        g = bottom.backward(g)
        for l in (0..<enc.count).reversed() {
            if Cancellation.isCancelled { return }
            let gp = pools[l].backward(g)
            let a = gp.pointer, b = UnsafePointer(skipGrads[l].pointer)
            for i in 0..<gp.count { a[i] += b[i] }
            g = enc[l].backward(gp)
        }
    }
}
