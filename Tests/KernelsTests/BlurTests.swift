import Testing
import Foundation
@testable import Kernels

@Test func gaussianWeightsAreNormalisedAndScipySized() {
    let k = gaussianKernel(1)
    #expect(k.count == 9)  // radius ⌊4σ + ½⌋ = 4
    #expect(abs(k.reduce(0, +) - 1) < 1e-6)
    #expect(abs(Double(k[4]) - 0.39894) < 1e-3)
    #expect(gaussianKernel(0.05) == [1])
    #expect(reflectIndex(-1, 5) == 0 && reflectIndex(-2, 5) == 1 && reflectIndex(5, 5) == 4 && reflectIndex(11, 5) == 1)
    #expect(reflectIndex(3, 1) == 0)
}

@Test func blurOfAnImpulseIsTheSeparableGaussian() throws {
    // 1×9×9 impulse, sigma 1 in x and, at equal spacing, in y: out(y, x) = g(y − 4)·g(x − 4).
    var v = [Float](repeating: 0, count: 81)
    v[40] = 1
    let img = Volume(shape: Shape(z: 1, y: 9, x: 9), spacing: Spacing(x: 5, y: 5, z: 50), storage: .f32(VoxelBuffer(v)))
    let b = try blur(img, sigma: 1)
    let g = gaussianKernel(1)
    var worst = 0.0
    for y in 0..<9 { for x in 0..<9 { worst = max(worst, abs(b.value(z: 0, y: y, x: x) - Double(g[y] * g[x]))) } }
    #expect(worst < 1e-6)
    #expect(b.type == .f32 && b.spacing == img.spacing)
    #expect(img.f32?.pointer[40] == 1)  // input untouched
}

@Test func blurHonoursAnisotropicSpacingAndReflects() throws {
    // A z ramp: a linear function is kept by a symmetric kernel, except at the reflected ends.
    let s = Shape(z: 6, y: 2, x: 2)
    let v = (0..<s.count).map { UInt8($0 / 4 * 10) }
    let img = Volume(shape: s, spacing: Spacing(x: 10, y: 10, z: 20), storage: .u8(VoxelBuffer(v)))
    let b = try blur(img, sigma: 2)  // sigma_z = 2·10/20 = 1 slice
    let g = gaussianKernel(1).map(Double.init)
    // Slice z: sum_k g[k]·10·reflect(z + k − 4) (radius 4 reaches past both ends of 6 slices).
    for z in 0..<6 {
        var expect = 0.0
        for k in 0..<9 { expect += g[k] * 10 * Double(reflectIndex(z + k - 4, 6)) }
        #expect(abs(b.value(z: z, y: 1, x: 1) - expect) < 1e-3)
    }
    // --2d leaves z alone.
    #expect(abs(try blur(img, sigma: 2, twoD: true).value(z: 0, y: 0, x: 0)) < 1e-6)
    #expect(throws: VolumeError.self) { try blur(img, sigma: -1) }
}

@Test func blurKeepsTheMeanOfAConstant() throws {
    let img = Volume(shape: Shape(z: 3, y: 17, x: 13), kind: .mask, storage: .u8(VoxelBuffer([UInt8](repeating: 1, count: 3 * 17 * 13))))
    let b = try blur(img, sigma: 3)
    #expect(b.kind == .image && b.type == .f32)
    #expect(b.f32?.array.allSatisfy { abs($0 - 1) < 1e-5 } == true)
}

/// A huge sigma is refused up front (it overflowed the kernel radius, or asked for gigabytes).
@Test func aHugeSigmaIsRefused() {
    let v = Volume(shape: Shape(z: 2, y: 8, x: 8), storage: .u8(VoxelBuffer([UInt8](repeating: 7, count: 128))))
    for s in [1e300, 1e9, 1001.0, Double.infinity] {
        #expect(throws: VolumeError.self) { try blur(v, sigma: s) }
    }
    #expect((try? blur(v, sigma: 1000)) != nil)
}
