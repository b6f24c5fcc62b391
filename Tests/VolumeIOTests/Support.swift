import _Platform
import Foundation
import Kernels
import TestSupport


/// A volume of the given type filled with deterministic values covering the type's range.
func randomVolume(_ type: VoxelType, shape: Shape, seed: UInt64) -> Volume {
    var rng = SplitMix64(seed: seed)
    let v = Volume(zeros: shape, type: type)
    switch v.storage {
    case .u8(let b): for i in 0..<b.count { b.pointer[i] = UInt8(truncatingIfNeeded: rng.next()) }
    case .u16(let b): for i in 0..<b.count { b.pointer[i] = UInt16(truncatingIfNeeded: rng.next()) }
    case .u32(let b): for i in 0..<b.count { b.pointer[i] = UInt32(truncatingIfNeeded: rng.next()) }
    case .f32(let b):
        for i in 0..<b.count { b.pointer[i] = Float(Int64(bitPattern: rng.next() >> 20)) / 3.7e9 }
        if b.count > 2 { b.pointer[0] = -0.0; b.pointer[1] = .infinity }
    }
    return v
}

/// Bytes of a volume's storage, for exact comparison.
func bytes(of v: Volume) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: v.storage.rawPointer, count: v.byteCount))
}

func readFile(_ path: String) -> [UInt8] { (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? [] }
func writeFile(_ path: String, _ bytes: [UInt8]) { try? Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// The message of the error `body` throws (nil when it does not throw).
func errorText(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}

let realData = packageRoot + "/../shared/data/sbem-mito"
let hasRealData = FileManager.default.fileExists(atPath: realData + "/train/labels")
