import Testing
import Kernels
@testable import Learning

@Suite("input binning (train --bin)")
struct BinningTests {
    @Test("binned slices are block means; a block at the far edge averages the pixels it has")
    func blockMeans() throws {
        // One 3×5 slice: rows 0–1 make full 2×2 blocks, row 2 half blocks; column 4 the half blocks at the right.
        let values: [UInt8] = [1, 3, 10, 20, 7,
                               5, 7, 30, 40, 9,
                               2, 4, 6, 8, 100]
        let b = VoxelBuffer<UInt8>(zeroed: 15)
        for (i, v) in values.enumerated() { b.pointer[i] = v }
        let v = Volume(shape: Shape(z: 1, y: 3, x: 5), spacing: Spacing(x: 5, y: 5, z: 40), storage: .u8(b))
        let out = try binnedSlices(v, slices: [0], bin: 2)
        #expect(out.shape == Shape(z: 1, y: 2, x: 3) && out.spacing == v.spacing)
        #expect(out.f32!.array == [4, 25, 8, 3, 7, 100])
    }

    @Test("binned labels: foreground where at least half of the block is")
    func majorityLabels() throws {
        // 2×2 blocks holding 0, 1, 2 and 4 foreground pixels.
        let values: [UInt8] = [0, 0, 1, 0, 1, 1, 1, 1,
                               0, 0, 0, 0, 0, 0, 1, 1]
        let b = VoxelBuffer<UInt8>(zeroed: 16)
        for (i, v) in values.enumerated() { b.pointer[i] = v * 3 }
        let v = Volume(shape: Shape(z: 1, y: 2, x: 8), kind: .mask, storage: .u8(b))
        let out = try binnedSlices(v, slices: [0], bin: 2, majority: true)
        #expect(out.f32!.array == [0, 0, 1, 1])
        #expect(out.kind == .mask)
    }

    @Test("interpolating back keeps constants and reproduces a ramp between the block centres")
    func unbinning() {
        let hb = 3, wb = 4, bin = 2, h = 6, w = 7
        var ramp = [Float](repeating: 0, count: hb * wb)
        for y in 0..<hb { for x in 0..<wb { ramp[y * wb + x] = Float(10 * y + x) } }
        var out = [Float](repeating: -1, count: h * w)
        ramp.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                unbin(r.baseAddress!, hb: hb, wb: wb, bin: bin, into: o.baseAddress!, h: h, w: w, scale: 1, add: false)
            }
        }
        // Pixel x lies at block coordinate (x + 0.5)/2 − 0.5, clamped to the block centres.
        for y in 0..<h {
            for x in 0..<w {
                let by = min(max((Float(y) + 0.5) / 2 - 0.5, 0), Float(hb - 1))
                let bx = min(max((Float(x) + 0.5) / 2 - 0.5, 0), Float(wb - 1))
                #expect(abs(out[y * w + x] - (10 * by + bx)) < 1e-5, "pixel \(y), \(x)")
            }
        }
        // Added and scaled (an ensemble member's share).
        var acc = [Float](repeating: 1, count: h * w)
        let constant = [Float](repeating: 0.8, count: hb * wb)
        constant.withUnsafeBufferPointer { c in
            acc.withUnsafeMutableBufferPointer { o in
                unbin(c.baseAddress!, hb: hb, wb: wb, bin: bin, into: o.baseAddress!, h: h, w: w, scale: 0.5, add: true)
            }
        }
        #expect(acc.allSatisfy { abs($0 - 1.4) < 1e-6 })
    }

    @Test("a binned model predicts the binned slices and interpolates back (3 frames, partial edge blocks)")
    func inferenceComposes() throws {
        let (img, _) = discVolume(z: 3, size: 38, seed: 3)
        let arch = Architecture(depth: 2, width: 4, frames: 3, groups: 2, bin: 2)
        let binnedModel = try Model(architecture: arch, seed: 7, inputMean: 120, inputStd: 40)
        var plain = binnedModel
        plain.architecture.bin = 1
        let p = try infer(models: [binnedModel], volume: img, tile: 16, overlap: 4, showProgress: false)
        #expect(p.shape == img.shape && p.spacing == img.spacing)
        // By hand: bin every slice, predict with the same weights unbinned, interpolate each slice back.
        let small = try binnedSlices(img, slices: [0, 1, 2], bin: 2)
        let q = try infer(models: [plain], volume: small, tile: 16, overlap: 4, showProgress: false)
        let hb = small.shape.y, wb = small.shape.x, hw = 38 * 38
        var expected = [Float](repeating: 0, count: 3 * hw)
        expected.withUnsafeMutableBufferPointer { e in
            for z in 0..<3 {
                unbin(q.f32!.pointer + z * hb * wb, hb: hb, wb: wb, bin: 2, into: e.baseAddress! + z * hw, h: 38, w: 38,
                      scale: 1, add: false)
            }
        }
        #expect(p.f32!.array == expected)
        // In an ensemble with an unbinned model, each contributes half.
        let other = try Model(architecture: Architecture(depth: 2, width: 4, frames: 1, groups: 2), seed: 8, inputMean: 120, inputStd: 40)
        let o = try infer(models: [other], volume: img, tile: 16, overlap: 4, showProgress: false).f32!.array
        let both = try infer(models: [binnedModel, other], volume: img, tile: 16, overlap: 4, showProgress: false).f32!.array
        var worst: Float = 0
        for i in 0..<both.count { worst = max(worst, abs(both[i] - (expected[i] + o[i]) / 2)) }
        #expect(worst < 1e-6)
    }

    @Test("the model file keeps the binning; files without it (and unbinned models) are unbinned")
    func savedBinning() throws {
        let m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 1, groups: 2, bin: 3), seed: 1)
        let back = try Model.decode(m.encode(), name: "m.emodel")
        #expect(back.architecture.bin == 3)
        let plain = try Model(architecture: Architecture(depth: 2, width: 4, frames: 1, groups: 2), seed: 1)
        let bytes = plain.encode()
        #expect(!String(decoding: bytes.prefix(2000), as: UTF8.self).contains("\"bin\""))
        #expect(try Model.decode(bytes, name: "p.emodel").architecture.bin == 1)
    }

    @Test("training binned learns the discs on the slices' own pixels; too small a binned slice is named")
    func trainsBinned() throws {
        let (img, lab) = discVolume(z: 4, size: 64, seed: 2)
        let (vimg, vlab) = discVolume(z: 2, size: 64, seed: 9)
        var c = tinyConfig(steps: 0)
        c.architecture = Architecture(depth: 2, width: 8, frames: 1, groups: 4, bin: 2)
        c.patch = 16; c.batch = 4
        c.duration = .epochs(12)
        c.learningRate = 1e-2
        c.validation = (vimg, vlab)
        let m = try train(images: img, labels: lab, config: c)
        #expect(m.architecture.bin == 2)
        let best = try #require(m.record.validationF.max())
        #expect(best > 0.8, "validation F \(m.record.validationF)")
        let prob = try infer(models: [m], volume: vimg, tile: 512, overlap: 32, showProgress: false)
        #expect(prob.shape == vimg.shape)
        #expect(abs(try fscore(prob: prob, labels: vlab).f - best) < 1e-9)

        c.architecture.bin = 8
        c.validation = nil
        let tiny = discVolume(z: 1, size: 6, seed: 1)
        #expect(throws: LearningError.invalid("train: slices of 1×1 (binned 8×8) are smaller than the network's minimum patch 2")) {
            _ = try train(images: tiny.image, labels: tiny.labels, config: c)
        }
    }
}
