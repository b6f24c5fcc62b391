/// The bounding boxes and voxel counts of the objects of a label map (or of one block of it,
/// whose voxel (0, 0, 0) sits at `origin`: boxes in global coordinates), sorted by id. Blocks'
/// results merge by id (`merged`).
public struct ObjectBoxes: Sendable, Equatable {
    public var ids: [UInt32] = []
    public var boxes: [Box] = []
    public var voxels: [Int] = []
    public init() {}

    /// The union of several blocks' boxes: per id the box spanning all its pieces and the sum of their voxels.
    public static func merged(_ parts: [ObjectBoxes]) -> ObjectBoxes {
        var at: [UInt32: Int] = [:]
        var out = ObjectBoxes()
        for p in parts {
            for (k, id) in p.ids.enumerated() {
                let b = p.boxes[k]
                if let j = at[id] {
                    let o = out.boxes[j]
                    out.boxes[j] = Box(z: min(o.z.lowerBound, b.z.lowerBound)..<max(o.z.upperBound, b.z.upperBound),
                                       y: min(o.y.lowerBound, b.y.lowerBound)..<max(o.y.upperBound, b.y.upperBound),
                                       x: min(o.x.lowerBound, b.x.lowerBound)..<max(o.x.upperBound, b.x.upperBound))
                    out.voxels[j] += p.voxels[k]
                } else {
                    at[id] = out.ids.count
                    out.ids.append(id); out.boxes.append(b); out.voxels.append(p.voxels[k])
                }
            }
        }
        let order = out.ids.indices.sorted { out.ids[$0] < out.ids[$1] }
        var sorted = ObjectBoxes()
        sorted.ids = order.map { out.ids[$0] }; sorted.boxes = order.map { out.boxes[$0] }; sorted.voxels = order.map { out.voxels[$0] }
        return sorted
    }
}

public func objectBoxes(_ labels: Volume, origin: (z: Int, y: Int, x: Int) = (0, 0, 0),
                        operation: String = "split") throws -> ObjectBoxes {
    let words = try labelWords(labels, operation: operation)
    defer { withExtendedLifetime(words) {} }
    let p = UnsafePointer(words.pointer)
    let ny = labels.shape.y, nx = labels.shape.x
    // Per id: z0 z1 y0 y1 x0 x1 (inclusive) and the voxel count; the last id's slot cached (runs repeat).
    var slot: [UInt32: Int] = [:]
    var ids: [UInt32] = [], b: [Int] = [], v: [Int] = []
    var lastID: UInt32 = 0, last = -1
    for z in 0..<labels.shape.z {
        try Cancellation.check()
        for y in 0..<ny {
            forEachLabelRun(p + (z * ny + y) * nx, nx) { l, x0, x1 in
                var k = last
                if l != lastID {
                    if let s = slot[l] { k = s } else {
                        k = ids.count; slot[l] = k; ids.append(l)
                        b += [z, z, y, y, x0, x1 - 1]; v.append(0)
                    }
                    lastID = l; last = k
                }
                b[6 * k + 1] = z   // rows come in z order: the last z is the largest
                if y < b[6 * k + 2] { b[6 * k + 2] = y }
                if y > b[6 * k + 3] { b[6 * k + 3] = y }
                if x0 < b[6 * k + 4] { b[6 * k + 4] = x0 }
                if x1 - 1 > b[6 * k + 5] { b[6 * k + 5] = x1 - 1 }
                v[k] += x1 - x0
            }
        }
    }
    var out = ObjectBoxes()
    for k in ids.indices.sorted(by: { ids[$0] < ids[$1] }) {
        out.ids.append(ids[k]); out.voxels.append(v[k])
        out.boxes.append(Box(z: (b[6 * k] + origin.z)..<(b[6 * k + 1] + 1 + origin.z),
                             y: (b[6 * k + 2] + origin.y)..<(b[6 * k + 3] + 1 + origin.y),
                             x: (b[6 * k + 4] + origin.x)..<(b[6 * k + 5] + 1 + origin.x)))
    }
    return out
}
