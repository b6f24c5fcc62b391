import _Platform
import Testing
import Foundation
import Kernels
@testable import Learning

/// Real-data training run for the notes: enabled with EMSH_QUALITY_DATA = a folder holding
/// images_010_029.u8 and labels_010_029.u8 (20×1024×1024 raw bytes: sbem-mito train slices 010–029, labels 0/1,
/// written by scripts/bench.d/learning_quality.py). Trains on 010–024, validates on 025–029; prints, asserts nothing.
@Suite("learning quality", .enabled(if: ProcessInfo.processInfo.environment["EMSH_QUALITY_DATA"] != nil))
struct LearningQuality {
    /// EMSH_QUALITY_MODELS = comma-separated .emodel paths: validation F of each, of the ensemble, with and without TTA.
    @Test("evaluate saved models on 025–029 (tta 1/8, ensemble)")
    func evaluate() throws {
        let env = ProcessInfo.processInfo.environment
        guard let list = env["EMSH_QUALITY_MODELS"] else { return }
        let dir = env["EMSH_QUALITY_DATA"] ?? "."
        let img = try Data(contentsOf: URL(fileURLWithPath: dir + "/images_010_029.u8"))
        let lab = try Data(contentsOf: URL(fileURLWithPath: dir + "/labels_010_029.u8"))
        let n = 1024 * 1024
        func volume(_ d: Data, kind: VolumeKind) -> Volume {
            let b = VoxelBuffer<UInt8>(zeroed: 5 * n)
            d.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in for i in 0..<(5 * n) { b.pointer[i] = raw[15 * n + i] } }
            return Volume(shape: Shape(z: 5, y: 1024, x: 1024), kind: kind, storage: .u8(b))
        }
        let vi = volume(img, kind: .image), vl = volume(lab, kind: .mask)
        let models = try list.split(separator: ",").map { p in
            try Model.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: String(p)))), name: String(p))
        }
        let ttas = (env["EMSH_QUALITY_TTAS"] ?? "1,8").split(separator: ",").compactMap { Int($0) }
        var sets = models.map { [$0] }
        if models.count > 1 { sets.append(models) }
        for set in sets {
            for tta in ttas {
                let p = try infer(models: set, volume: vi, tile: 1024, overlap: 0, tta: tta)
                let r = try fscore(prob: p, labels: vl)
                print("QUALITY eval frames \(set.map(\.architecture.frames)) tta \(tta) F \(fixed(r.f, 4)) level \(r.level)")
            }
        }
    }

    @Test("train on sbem-mito 010–024, validate on 025–029")
    func quality() throws {
        guard ProcessInfo.processInfo.environment["EMSH_QUALITY_MODELS"] == nil else { return }
        let env = ProcessInfo.processInfo.environment
        let dir = env["EMSH_QUALITY_DATA"] ?? "."
        let minutes = Double(env["EMSH_QUALITY_MINUTES"] ?? "15") ?? 15
        let frames = Int(env["EMSH_QUALITY_FRAMES"] ?? "1") ?? 1
        let img = try Data(contentsOf: URL(fileURLWithPath: dir + "/images_010_029.u8"))
        let lab = try Data(contentsOf: URL(fileURLWithPath: dir + "/labels_010_029.u8"))
        let n = 1024 * 1024
        func volume(_ d: Data, _ z0: Int, _ z1: Int, kind: VolumeKind) -> Volume {
            let b = VoxelBuffer<UInt8>(zeroed: (z1 - z0) * n)
            d.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                for i in 0..<((z1 - z0) * n) { b.pointer[i] = raw[z0 * n + i] }
            }
            return Volume(shape: Shape(z: z1 - z0, y: 1024, x: 1024), kind: kind, storage: .u8(b))
        }
        let trainImg = volume(img, 0, 15, kind: .image), trainLab = volume(lab, 0, 15, kind: .mask)
        let valImg = volume(img, 15, 20, kind: .image), valLab = volume(lab, 15, 20, kind: .mask)
        var c = TrainConfig()
        c.architecture.frames = frames
        c.duration = .minutes(minutes)
        // A fixed step count makes the quality independent of the machine's load (the ensemble experiment).
        if let steps = env["EMSH_QUALITY_STEPS"].flatMap(Int.init) { c.duration = .steps(steps) }
        if let lr = env["EMSH_QUALITY_LR"].flatMap(Float.init) { c.learningRate = lr }
        if let pw = env["EMSH_QUALITY_POSW"].flatMap(Float.init) { c.positiveWeight = pw }
        c.validation = (valImg, valLab)
        let t0 = Date()
        let m = try train(images: trainImg, labels: trainLab, config: c)
        print("QUALITY frames \(frames) minutes \(minutes) steps \(m.record.steps) seconds \(Int(Date().timeIntervalSince(t0)))")
        print("QUALITY loss \(m.record.epochLoss.map { fixed($0, 4) })")
        print("QUALITY valF \(m.record.validationF.map { fixed($0, 4) }) best epoch \(m.record.bestEpoch ?? 0)")
        if let out = env["EMSH_QUALITY_SAVE"] {
            try Data(m.encode()).write(to: URL(fileURLWithPath: out))
        }
        if env["EMSH_QUALITY_TTA"] == "1" {
            let p = try infer(models: [m], volume: valImg, tile: 512, overlap: 32, tta: 8)
            print("QUALITY tta8 F \(fixed(try fscore(prob: p, labels: valLab).f, 4))")
        }
    }
}
