import _Platform
import Kernels
@testable import Learning

/// A small synthetic image: dark background with bright discs (the labels), plus a little deterministic noise.
func discVolume(z: Int = 3, size: Int = 48, seed: UInt64 = 1) -> (image: Volume, labels: Volume) {
    var rng = SplitMix64.training(seed: seed)
    let shape = Shape(z: z, y: size, x: size)
    let img = VoxelBuffer<UInt8>(zeroed: shape.count), lab = VoxelBuffer<UInt8>(zeroed: shape.count)
    for k in 0..<z {
        var discs: [(Double, Double, Double)] = []
        for _ in 0..<4 { discs.append((Double(rng.below(size)), Double(rng.below(size)), Double(3 + rng.below(5)))) }
        for y in 0..<size {
            for x in 0..<size {
                let inside = discs.contains { d in (Double(y) - d.0) * (Double(y) - d.0) + (Double(x) - d.1) * (Double(x) - d.1) <= d.2 * d.2 }
                let i = (k * size + y) * size + x
                img.pointer[i] = UInt8((inside ? 170 : 80) + rng.below(30))
                lab.pointer[i] = inside ? 1 : 0
            }
        }
    }
    return (Volume(shape: shape, spacing: Spacing(x: 7.5, y: 7.5, z: 50), storage: .u8(img)),
            Volume(shape: shape, kind: .mask, storage: .u8(lab)))
}

func tinyConfig(steps: Int = 3, seed: UInt64 = 5, frames: Int = 1) -> TrainConfig {
    var c = TrainConfig()
    c.architecture = Architecture(depth: 2, width: 4, frames: frames, groups: 2)
    c.patch = 16
    c.batch = 2
    c.duration = .steps(steps)
    c.seed = seed
    return c
}
