import Testing
import Kernels
@testable import Learning

@Suite("training and inference")
struct TrainInferTests {
    @Test("a tiny U-Net learns bright discs (validation F rises, best epoch kept)")
    func learns() throws {
        let (img, lab) = discVolume(z: 4, size: 48, seed: 2)
        let (vimg, vlab) = discVolume(z: 2, size: 48, seed: 9)
        var c = tinyConfig(steps: 0)
        c.architecture = Architecture(depth: 2, width: 8, frames: 1, groups: 4)
        c.patch = 32; c.batch = 4
        c.duration = .epochs(6)
        c.learningRate = 1e-2
        c.validation = (vimg, vlab)
        let m = try train(images: img, labels: lab, config: c)
        #expect(m.record.epochs == 6)
        #expect(m.record.validationF.count == 6)
        let best = try #require(m.record.validationF.max())
        #expect(best > 0.85, "validation F \(m.record.validationF)")
        #expect(m.record.bestEpoch.map { m.record.validationF[$0 - 1] } == best)
        // Inference with the kept model reproduces the best validation F.
        let prob = try infer(models: [m], volume: vimg, tile: 512, overlap: 32)
        #expect(abs(try fscore(prob: prob, labels: vlab).f - best) < 1e-9)
        #expect(m.record.epochLoss.first! > m.record.epochLoss.last!)
    }

    @Test("inference: shape, spacing and range kept; tiles blend close to the whole-slice prediction")
    func tiles() throws {
        let (img, _) = discVolume(z: 2, size: 40, seed: 4)
        let m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 3, groups: 2), seed: 1, inputMean: 120, inputStd: 40)
        let whole = try infer(models: [m], volume: img, tile: 48, overlap: 0)
        let tiled = try infer(models: [m], volume: img, tile: 24, overlap: 8)
        #expect(whole.shape == img.shape && whole.type == .f32 && whole.spacing == img.spacing)
        let a = whole.f32!.array, b = tiled.f32!.array
        #expect(a.allSatisfy { $0 >= 0 && $0 <= 1 })
        var diff: Float = 0
        for i in 0..<a.count { diff += abs(a[i] - b[i]) }
        #expect(diff / Float(a.count) < 0.1)
    }

    @Test("8-fold test-time augmentation is equivariant: infer(rot90(x)) = rot90(infer(x))")
    func ttaEquivariance() throws {
        let (img, _) = discVolume(z: 1, size: 32, seed: 6)
        let m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 1, groups: 2), seed: 2, inputMean: 120, inputStd: 40)
        let n = 32
        let rotBuf = VoxelBuffer<UInt8>(zeroed: n * n)
        for y in 0..<n { for x in 0..<n { rotBuf.pointer[y * n + x] = img.u8!.pointer[x * n + (n - 1 - y)] } }
        let rot = Volume(shape: img.shape, storage: .u8(rotBuf))
        let p = try infer(models: [m], volume: img, tile: 32, overlap: 0, tta: 8).f32!.array
        let q = try infer(models: [m], volume: rot, tile: 32, overlap: 0, tta: 8).f32!.array
        var worst: Float = 0
        for y in 0..<n { for x in 0..<n { worst = max(worst, abs(q[y * n + x] - p[x * n + (n - 1 - y)])) } }
        #expect(worst < 1e-5)
        let plain = try infer(models: [m], volume: rot, tile: 32, overlap: 0, tta: 1).f32!.array
        #expect(plain != q)
    }

    @Test("an ensemble of 1- and 3-frame models averages their probabilities")
    func ensemble() throws {
        let (img, _) = discVolume(z: 3, size: 16, seed: 8)
        let m1 = try Model(architecture: Architecture(depth: 2, width: 4, frames: 1, groups: 2), seed: 1, inputMean: 120, inputStd: 40)
        let m3 = try Model(architecture: Architecture(depth: 2, width: 4, frames: 3, groups: 2), seed: 2, inputMean: 120, inputStd: 40)
        let a = try infer(models: [m1], volume: img, tile: 16, overlap: 0).f32!.array
        let b = try infer(models: [m3], volume: img, tile: 16, overlap: 0).f32!.array
        let e = try infer(models: [m1, m3], volume: img, tile: 16, overlap: 0).f32!.array
        for i in 0..<e.count { #expect(abs(e[i] - (a[i] + b[i]) / 2) < 1e-6) }
    }

    @Test("continuing from a model with a frozen encoder changes only the expanding path")
    func freeze() throws {
        let (img, lab) = discVolume()
        let base = try train(images: img, labels: lab, config: tinyConfig(steps: 2))
        var c = tinyConfig(steps: 2, seed: 9)
        c.from = base
        c.freezeEncoder = true
        let tuned = try train(images: img, labels: lab, config: c)
        for (a, b) in zip(base.tensors, tuned.tensors) {
            let encoder = a.name.hasPrefix("enc") || a.name.hasPrefix("bottom")
            #expect((a.values == b.values) == encoder, "\(a.name)")
        }
        #expect(tuned.record.steps == 4 && tuned.record.generations == 2)
    }

    @Test("bad arguments are refused with a message")
    func errors() throws {
        let (img, lab) = discVolume()
        var c = tinyConfig(); c.architecture.frames = 2
        #expect(throws: LearningError.self) { try train(images: img, labels: lab, config: c) }
        let m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 1, groups: 2))
        #expect(throws: LearningError.self) { try infer(models: [m], volume: img, tta: 4) }
        #expect(throws: LearningError.self) { try infer(models: [], volume: img) }
        // A huge time limit overflowed the progress count; a huge rate trained into NaN.
        var long = tinyConfig(); long.duration = .minutes(1e300)
        #expect(throws: LearningError.self) { try train(images: img, labels: lab, config: long) }
        var fast = tinyConfig(); fast.learningRate = .infinity
        #expect(throws: LearningError.self) { try train(images: img, labels: lab, config: fast) }
        // NaN or infinite voxels are refused by name instead of training (or predicting) NaN.
        var f: [Float] = (img.u8?.array ?? []).map { Float($0) }
        f[5] = .nan; f[9] = .infinity
        let bad = Volume(shape: img.shape, spacing: img.spacing, storage: .f32(VoxelBuffer(f)))
        #expect(throws: LearningError.invalid("train: the training images hold 2 NaN or infinite voxels")) {
            try train(images: bad, labels: lab, config: tinyConfig())
        }
        #expect(throws: LearningError.invalid("infer: the images hold 2 NaN or infinite voxels")) { try infer(models: [m], volume: bad) }
    }
}
