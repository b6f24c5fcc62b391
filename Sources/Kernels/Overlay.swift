import _Platform
/// An 8-bit RGB picture, rows top to bottom, 3 bytes per pixel.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) { self.width = width; self.height = height; self.pixels = pixels }
}


/// Slice `z` of `image` in grey with `overlay` drawn over it: a mask (kind `.mask`, or any u8
/// volume) in red, a label map (u32, or kind `.labels`) with every id in its own colour
/// (`labelColour`); the inside is alpha-blended (`alpha`, 0...1) and the outline (pixels with a
/// 4-neighbour of another value) drawn opaque. The grey is the image as is for u8, otherwise
/// stretched from the slice's minimum to its maximum.
public func overlay(image: Volume, overlay: Volume, z: Int, alpha: Double = 0.4) throws -> RGBImage {
    let op = "overlay"
    guard image.shape == overlay.shape else { throw VolumeError.shapeMismatch(operation: op, image.shape, overlay.shape) }
    guard IndexRange.index(z, count: image.shape.z) == z else {
        throw VolumeError.invalidArgument(operation: op, IndexRange.indexProblem(z, count: image.shape.z))
    }
    guard alpha >= 0 && alpha <= 1 else { throw VolumeError.invalidArgument(operation: op, "alpha must be in 0...1") }
    let w = image.shape.x, h = image.shape.y, ns = w * h, off = z * ns
    var grey = [UInt8](repeating: 0, count: ns)
    switch image.storage {
    case .u8(let b): for i in 0..<ns { grey[i] = b.pointer[off + i] }
    default:
        var lo = Double.infinity, hi = -Double.infinity
        for i in 0..<ns { let v = image.value(z: z, y: i / w, x: i % w); if v.isFinite { lo = min(lo, v); hi = max(hi, v) } }
        let scale = hi > lo ? 255 / (hi - lo) : 0
        for i in 0..<ns {
            let v = image.value(z: z, y: i / w, x: i % w)
            grey[i] = v.isFinite ? UInt8(max(0, min(255, ((v - lo) * scale).rounded()))) : 0
        }
    }
    var ids = [UInt32](repeating: 0, count: ns)
    let isLabels = overlay.kind == .labels || overlay.type == .u32 || overlay.type == .u16
    switch overlay.storage {
    case .u8(let b): for i in 0..<ns { ids[i] = UInt32(b.pointer[off + i]) }
    case .u16(let b): for i in 0..<ns { ids[i] = UInt32(b.pointer[off + i]) }
    case .u32(let b): for i in 0..<ns { ids[i] = b.pointer[off + i] }
    case .f32(let b): for i in 0..<ns { ids[i] = b.pointer[off + i] > 0.5 ? 1 : 0 }
    }
    var px = [UInt8](repeating: 0, count: ns * 3)
    for y in 0..<h {
        for x in 0..<w {
            let i = y * w + x, g = grey[i], l = ids[i]
            if l == 0 { px[3 * i] = g; px[3 * i + 1] = g; px[3 * i + 2] = g; continue }
            let c = isLabels ? labelColour(l) : (255, 40, 40)
            let edge = (x > 0 && ids[i - 1] != l) || (x + 1 < w && ids[i + 1] != l)
                || (y > 0 && ids[i - w] != l) || (y + 1 < h && ids[i + w] != l)
            let a = edge ? 1.0 : alpha
            let gd = Double(g)
            px[3 * i] = UInt8((gd * (1 - a) + Double(c.0) * a).rounded())
            px[3 * i + 1] = UInt8((gd * (1 - a) + Double(c.1) * a).rounded())
            px[3 * i + 2] = UInt8((gd * (1 - a) + Double(c.2) * a).rounded())
        }
    }
    return RGBImage(width: w, height: h, pixels: px)
}
