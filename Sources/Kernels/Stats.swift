/// Summary of one group of objects (all, touching the border, interior).
public struct ObjectGroupStats: Sendable, Equatable {
    public var count: Int
    /// Mean object volume in µm³ (0 when the group is empty).
    public var meanVolumeUm3: Double
    /// Sum of the object volumes in µm³.
    public var totalVolumeUm3: Double
    /// Total volume as a percentage of the block's volume (nil when the block volume is unknown).
    public var volumeFractionPercent: Double?
}

/// The result of `stats`: the count, mean volume and volume fraction of all objects, and the
/// same for those touching the volume's border and the interior ones.
public struct ObjectStats: Sendable, Equatable {
    public var all: ObjectGroupStats
    public var border: ObjectGroupStats
    public var interior: ObjectGroupStats
    /// The block's volume in µm³ (nil when computed from a table without it).
    public var blockVolumeUm3: Double?
}

private func group(_ volumes: [Double], block: Double?) -> ObjectGroupStats {
    let total = volumes.reduce(0, +)
    return ObjectGroupStats(count: volumes.count, meanVolumeUm3: volumes.isEmpty ? 0 : total / Double(volumes.count),
                            totalVolumeUm3: total, volumeFractionPercent: block.map { $0 > 0 ? 100 * total / $0 : 0 })
}

private func summarise(_ volumes: [Double], _ border: [Bool], block: Double?) -> ObjectStats {
    var b: [Double] = [], i: [Double] = []
    for (v, f) in zip(volumes, border) { if f { b.append(v) } else { i.append(v) } }
    return ObjectStats(all: group(volumes, block: block), border: group(b, block: block),
                       interior: group(i, block: block), blockVolumeUm3: block)
}

/// Object statistics of a label map: every non-zero id is one object, its volume the voxel count
/// times the voxel volume; border objects touch a face of the volume (z faces only when there is
/// more than one slice, as in `fit`); the volume fraction is relative to the whole volume.
public func stats(_ labels: Volume) throws -> ObjectStats {
    let words = try labelWords(labels, operation: "stats")
    defer { withExtendedLifetime(words) {} }
    let p = UnsafePointer(words.pointer)
    let nz = labels.shape.z, ny = labels.shape.y, nx = labels.shape.x
    var counts: [UInt32: (Int, Bool)] = [:]
    let workers = max(1, min(Threads.count, nz))
    var partial = [[UInt32: (Int, Bool)]](repeating: [:], count: workers)
    try Cancellation.check()
    partial.withUnsafeMutableBufferPointer { pb in
        parallelChunks(nz, threads: workers) { w, zr in
            var d: [UInt32: (Int, Bool)] = [:]
            for z in zr {
                if Cancellation.isCancelled { break }
                let zEdge = nz > 1 && (z == 0 || z == nz - 1)
                for y in 0..<ny {
                    let row = p + (z * ny + y) * nx
                    forEachLabelRun(row, nx) { l, x0, x1 in
                        let edge = zEdge || y == 0 || y == ny - 1 || x0 == 0 || x1 == nx
                        let e = d[l] ?? (0, false)
                        d[l] = (e.0 + x1 - x0, e.1 || edge)
                    }
                }
            }
            pb[w] = d
        }
    }
    try Cancellation.check()
    for d in partial {
        for (k, v) in d { let e = counts[k] ?? (0, false); counts[k] = (e.0 + v.0, e.1 || v.1) }
    }
    let sp = labels.spacing
    let voxel = sp.x * sp.y * sp.z / 1e9
    let ids = counts.keys.sorted()
    return summarise(ids.map { Double(counts[$0]?.0 ?? 0) * voxel }, ids.map { counts[$0]?.1 ?? false },
                     block: Double(labels.count) * voxel)
}

/// Object statistics from per-object voxel counts and border flags (summed block by block), in a
/// volume of `totalVoxels` voxels: the same numbers as `stats` of the label map.
public func stats(voxelCounts: [Double], border: [Bool], spacing sp: Spacing, totalVoxels: Int) -> ObjectStats {
    let voxel = sp.x * sp.y * sp.z / 1e9
    return summarise(voxelCounts.map { $0 * voxel }, border, block: Double(totalVoxels) * voxel)
}

/// Object statistics of a `fit` table: needs its `volume_um3` column; `border` (non-zero = border)
/// is optional (without it every object counts as interior). The volume fraction needs the
/// block's volume in µm³ and is nil without it.
public func stats(_ table: Table, blockVolumeUm3: Double? = nil) throws -> ObjectStats {
    guard let v = table.numbers("volume_um3") else {
        throw VolumeError.invalidArgument(operation: "stats", "the table has no number column volume_um3 (make it with fit)")
    }
    let b = table.numbers("border").map { $0.map { $0 != 0 } } ?? [Bool](repeating: false, count: v.count)
    return summarise(v, b, block: blockVolumeUm3)
}
