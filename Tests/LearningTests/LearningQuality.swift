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

    /// EMSH_QUALITY_PROTOCOL = val (default): train 010–024, validate on 025–029 (best epoch, F at its own level);
    /// far: train 010–019, validate on 020–024 (best epoch and level), score 025–029 at that level.
    /// Every other train setting is TrainConfig's default (the recipe) unless an EMSH_QUALITY_* variable sets it.
    @Test("train on sbem-mito 010–024, validate on 025–029")
    func quality() throws {
        guard ProcessInfo.processInfo.environment["EMSH_QUALITY_MODELS"] == nil else { return }
        let env = ProcessInfo.processInfo.environment
        let dir = env["EMSH_QUALITY_DATA"] ?? "."
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
        let far = env["EMSH_QUALITY_PROTOCOL"] == "far"
        let trainEnd = far ? 10 : 15
        let trainImg = volume(img, 0, trainEnd, kind: .image), trainLab = volume(lab, 0, trainEnd, kind: .mask)
        let valImg = volume(img, trainEnd, trainEnd + 5, kind: .image), valLab = volume(lab, trainEnd, trainEnd + 5, kind: .mask)
        let farImg = volume(img, 15, 20, kind: .image), farLab = volume(lab, 15, 20, kind: .mask)
        var c = TrainConfig()
        func int(_ k: String) -> Int? { env["EMSH_QUALITY_" + k].flatMap { Int($0) } }
        func float(_ k: String) -> Float? { env["EMSH_QUALITY_" + k].flatMap { Float($0) } }
        if let v = int("FRAMES") { c.architecture.frames = v }
        if let v = int("DEPTH") { c.architecture.depth = v }
        if let v = int("WIDTH") { c.architecture.width = v }
        if let v = int("BIN") { c.architecture.bin = v }
        if let v = int("PATCH") { c.patch = v }
        if let v = int("BATCH") { c.batch = v }
        if let v = int("SEED") { c.seed = UInt64(v) }
        if let v = int("AUGMENT") { c.augment = v }
        if let v = float("LR") { c.learningRate = v }
        if let v = float("POSW") { c.positiveWeight = v }
        if let v = float("DICE") { c.diceWeight = v }
        if let v = float("INTENSITY") { c.augmentation.intensity = v }
        if let v = float("NOISE") { c.augmentation.noise = v }
        if let v = float("BLUR") { c.augmentation.blur = v }
        if let v = float("DEFORM") { c.augmentation.deform = v }
        if let v = float("FOREGROUND") { c.augmentation.foreground = v }
        if let m = env["EMSH_QUALITY_MINUTES"].flatMap(Double.init) { c.duration = .minutes(m) }
        // A fixed step count makes the quality independent of the machine's load.
        if let steps = int("STEPS") { c.duration = .steps(steps) }
        c.validation = (valImg, valLab)
        let t0 = Date()
        let m = try train(images: trainImg, labels: trainLab, config: c)
        let secs = Date().timeIntervalSince(t0)
        let a = c.augmentation
        let recipe = "bin \(m.architecture.bin) frames \(m.architecture.frames) depth \(m.architecture.depth) width \(m.architecture.width) patch \(c.patch) "
            + "batch \(c.batch) lr \(c.learningRate) intensity \(a.intensity) noise \(a.noise) blur \(a.blur) deform \(a.deform) "
            + "foreground \(a.foreground) seed \(c.seed)"
        print("QUALITY \(far ? "far" : "val") \(recipe)")
        print("QUALITY steps \(m.record.steps) seconds \(Int(secs)) steps/s \(fixed(Double(m.record.steps) / secs, 2))")
        print("QUALITY loss \(m.record.epochLoss.map { fixed($0, 4) })")
        print("QUALITY valF \(m.record.validationF.map { fixed($0, 4) }) best epoch \(m.record.bestEpoch ?? 0)")
        if let out = env["EMSH_QUALITY_SAVE"] {
            try Data(m.encode()).write(to: URL(fileURLWithPath: out))
        }
        let ttas = (env["EMSH_QUALITY_TTAS"] ?? "1").split(separator: ",").compactMap { Int($0) }
        for tta in ttas {
            let t1 = Date()
            let pv = try infer(models: [m], volume: valImg, tile: 1024, overlap: 0, tta: tta, showProgress: false)
            let rv = try fscore(prob: pv, labels: valLab)
            let inferSecs = Date().timeIntervalSince(t1)
            var line = "QUALITY result \(far ? "far" : "val") tta \(tta) valF \(fixed(rv.f, 4)) level \(rv.level)"
            func saveProb(_ v: Volume, _ what: String) throws {
                guard let base = env["EMSH_QUALITY_SAVEPROB"], case .f32(let b) = v.storage else { return }
                try Data(bytes: b.pointer, count: v.count * 4).write(to: URL(fileURLWithPath: "\(base)-\(what)-tta\(tta).f32"))
            }
            try saveProb(pv, "val")
            if far {
                let pf = try infer(models: [m], volume: farImg, tile: 1024, overlap: 0, tta: tta, showProgress: false)
                try saveProb(pf, "far")
                let own = try fscore(prob: pf, labels: farLab)
                line += " farF \(fixed(fAtLevel(pf, farLab, rv.level), 4)) (own level \(own.level): \(fixed(own.f, 4)))"
            }
            print(line + " infer \(fixed(inferSecs / 5, 2)) s/slice")
        }
    }

    /// F of `prob` ≥ level/255 (fscore's quantisation) against labels.
    func fAtLevel(_ prob: Volume, _ labels: Volume, _ level: Int) -> Double {
        guard case .f32(let p) = prob.storage, case .u8(let l) = labels.storage else { return 0 }
        var tp = 0, fp = 0, fn = 0
        for i in 0..<prob.count {
            let pos = quantizeProbability(p.pointer[i]) >= level, t = l.pointer[i] != 0
            if pos && t { tp += 1 } else if pos { fp += 1 } else if t { fn += 1 }
        }
        return Double(2 * tp) / Double(max(1, 2 * tp + fp + fn))
    }
}
