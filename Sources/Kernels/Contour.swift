/// The outline of a mask or of each object of a label map, slice by slice: a foreground voxel is on
/// the contour when, within `width` voxels in its slice (Euclidean distance ≤ width, so width 1 is the
/// 4-neighbourhood), there is background or a voxel of a different label. The image border does not
/// count as background (an object cut by the edge is not outlined there). The result is a mask
/// (u8 0/1) with the input's spacing: the training target for a contour model (`$obj - $contour`
/// leaves the cores).
public func contour(_ v: Volume, width: Int) throws -> Volume {
    guard width >= 1, width <= 64 else {
        throw VolumeError.invalidArgument(operation: "contour", "width must be between 1 and 64 voxels, got \(width)")
    }
    var offsets: [(Int, Int)] = []
    for dy in -width...width {
        for dx in -width...width where (dy != 0 || dx != 0) && dy * dy + dx * dx <= width * width {
            offsets.append((dy, dx))
        }
    }
    // Nearest first: an outline pixel is usually found at the first few offsets.
    offsets.sort { $0.0 * $0.0 + $0.1 * $0.1 < $1.0 * $1.0 + $1.1 * $1.1 }
    let out = try allocateStorage(.u8, count: v.count, what: "contour", zeroed: true)
    guard case .u8(let ob) = out else { return v }
    try v.storage.visit(ContourVisitor(shape: v.shape, offsets: offsets, out: ob.pointer))
    return v.with(storage: out, kind: .mask)
}

private struct ContourVisitor: StorageVisitor {
    let shape: Shape
    let offsets: [(Int, Int)]
    let out: UnsafeMutablePointer<UInt8>
    func visit<T: VoxelScalar>(_ p: UnsafeMutablePointer<T>, count: Int) throws {
        let ny = shape.y, nx = shape.x, out = self.out
        let m = offsets.count
        let dyb = VoxelBuffer<Int>(offsets.map(\.0)), dxb = VoxelBuffer<Int>(offsets.map(\.1))
        let dys = dyb.pointer, dxs = dxb.pointer
        defer { withExtendedLifetime((dyb, dxb)) {} }
        try parallelSlices(shape.z) { z in
            let base = z * ny * nx
            for y in 0..<ny {
                for x in 0..<nx {
                    let i = base + y * nx + x
                    let c = p[i]
                    guard c.isNonZero else { continue }
                    for k in 0..<m {
                        let yy = y + dys[k], xx = x + dxs[k]
                        if yy < 0 || yy >= ny || xx < 0 || xx >= nx { continue }
                        if p[base + yy * nx + xx] != c { out[i] = 1; break }
                    }
                }
            }
        }
    }
}
