import Testing
import Foundation
import Kernels
@testable import Learning

/// For scripts/bench.d/learning_safetensors.py: with EMSH_EXPORT_DIR set, writes model.emodel, the expected tensor
/// summaries (expected.json), an input volume (input.u8, 3×64×64) and emsh's prediction for it (prob.f32).
@Suite("learning export", .enabled(if: ProcessInfo.processInfo.environment["EMSH_EXPORT_DIR"] != nil))
struct LearningExport {
    @Test("write an emsh model, an input and its prediction")
    func export() throws {
        let dir = ProcessInfo.processInfo.environment["EMSH_EXPORT_DIR"] ?? "."
        let (img, lab) = discVolume(z: 3, size: 64, seed: 12)
        var c = TrainConfig()
        c.architecture = Architecture(depth: 3, width: 8, frames: 3, groups: 4)
        c.patch = 32; c.batch = 4; c.duration = .steps(20); c.seed = 3
        let m = try train(images: img, labels: lab, config: c)
        try Data(m.encode()).write(to: URL(fileURLWithPath: dir + "/model.emodel"))
        var expected: [String] = []
        for t in m.tensors {
            let sum = t.values.reduce(0.0) { $0 + Double($1) }
            let first = t.values.prefix(4).map { "\($0)" }.joined(separator: ",")
            expected.append("\"\(t.name)\":{\"shape\":\(t.shape),\"sum\":\(sum),\"first\":[\(first)]}")
        }
        try ("{" + expected.joined(separator: ",") + "}").write(toFile: dir + "/expected.json", atomically: true, encoding: .utf8)
        try Data(img.u8!.array).write(to: URL(fileURLWithPath: dir + "/input.u8"))
        let prob = try infer(models: [m], volume: img, tile: 64, overlap: 0)
        let bytes = prob.f32!.array.withUnsafeBufferPointer { Data(buffer: $0) }
        try bytes.write(to: URL(fileURLWithPath: dir + "/prob.f32"))
    }
}
