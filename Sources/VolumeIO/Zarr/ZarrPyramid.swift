import _Platform
import Kernels
import Synchronization

/// Writes downsampled levels 1..<levels (2× in y and x per level; z kept — SBF-SEM voxels are
/// anisotropic) from level 0 of the store, chunk by chunk with bounded memory: mean for images
/// (rounded to the nearest integer for integer types), nearest (the voxel at even coordinates)
/// for masks and labels; updates the multiscales metadata with the right scale per level.
///
/// Each level is made from the one above it (as ome-zarr does), output chunks in parallel: the
/// memory in use is about five chunks per worker thread. Levels keep level
/// 0's chunk shape, dtype and compressor. Existing levels 1... are replaced; `levels` = 1
/// removes them. Only stores emsh can write (Zarr v2, native dtypes) are accepted.
public func writeZarrPyramid(_ path: String, levels: Int) throws {
    let base = try ZarrArray.open(path, level: 0)
    if base.meta.format != 2 || base.arrayPath == base.path {
        throw IOError(path, "pyramids are written into OME-Zarr v2 groups (as made by ZarrArray.create)")
    }
    if levels < 1 || levels > 30 { throw IOError(path, "levels \(levels) must be 1 to 30") }
    if !base.meta.dtype.isNative {
        throw IOError(base.metadataFile, "emsh writes only |u1, <u2, <u4 and <f4 arrays; this one is \(base.meta.dtype.name)")
    }
    if base.axisMap.contains(-1) || base.axisMap.count != 3 {
        throw IOError(base.metadataFile, "pyramids are written for plain 3-D (z, y, x) arrays")
    }
    let zattrs = joinPath(path, ".zattrs")
    let oldAttrs = try ZarrFiles.readJSON(zattrs)
    // Level 0's own scale (the scale emsh read, in nm), doubled in y and x per level.
    let s0 = [base.spacing.z, base.spacing.y, base.spacing.x]
    var scales = [s0]
    // Remove levels the old metadata listed beyond 0 (and folders of the names about to be written).
    if let ms = try ZarrMultiscales.find(in: oldAttrs, file: zattrs) {
        for d in ms.datasets.dropFirst() {
            let folder = joinPath(path, d.path)
            if pathKind(folder) == .folder && ZarrFiles.isZarrFolder(folder) { try ZarrFiles.removeTree(folder) }
        }
    }
    var source = base
    for level in 1..<max(levels, 1) {
        let folder = joinPath(path, String(level))
        if pathKind(folder) == .folder && ZarrFiles.isZarrFolder(folder) { try ZarrFiles.removeTree(folder) }
        let shape = Shape(z: source.shape.z, y: (source.shape.y + 1) / 2, x: (source.shape.x + 1) / 2)
        try makeFolders(folder)
        try ZarrArray.writeArrayMetadata(folder, shape: [shape.z, shape.y, shape.x],
                                         chunks: [base.chunks.z, base.chunks.y, base.chunks.x],
                                         dtype: base.meta.dtype, codec: base.meta.codec)
        scales.append([s0[0], s0[1] * Double(1 << level), s0[2] * Double(1 << level)])
        // The level is opened as a bare array (the group metadata is rewritten at the end).
        let target = try ZarrArray.open(folder)
        try downsample(from: source, into: target, nearest: base.kind != .image)
        source = target
    }
    let name = (try ZarrMultiscales.find(in: oldAttrs, file: zattrs))?.name ?? splitPath(path).base
    try ZarrFiles.writeMetadata(ZarrArray.groupAttributes(name: name, scales: scales, kind: base.kind, extra: oldAttrs), to: zattrs)
}

/// Fills every chunk of `target` (half the y, x size of `source`) from `source`, output chunks in
/// parallel: each worker holds one output chunk and its source box (at most 2×2 source chunks).
private func downsample(from source: ZarrArray, into target: ZarrArray, nearest: Bool) throws {
    let g = target.chunkGrid
    let firstError = Mutex<IOError?>(nil)
    parallelFor(g.z * g.y * g.x) { i in
        if firstError.withLock({ $0 != nil }) { return }
        let cz = i / (g.y * g.x), cy = (i / g.x) % g.y, cx = i % g.x
        do {
            let b = target.chunkBox(cz: cz, cy: cy, cx: cx)
            let sy = (2 * b.y.lowerBound)..<min(source.shape.y, 2 * b.y.upperBound)
            let sx = (2 * b.x.lowerBound)..<min(source.shape.x, 2 * b.x.upperBound)
            let src = try source.read(z: b.z, y: sy, x: sx)
            let out = Volume(zeros: Shape(z: b.z.count, y: b.y.count, x: b.x.count), type: target.type,
                             spacing: target.spacing, kind: target.kind)
            reduce2x(src, into: out, nearest: nearest)
            try target.writeChunk(out, cz: cz, cy: cy, cx: cx)
        } catch {
            let e = error as? IOError ?? IOError(target.chunkPath(cz: cz, cy: cy, cx: cx), "\(error)")
            firstError.withLock { if $0 == nil { $0 = e } }
        }
    }
    if let e = firstError.withLock({ $0 }) { throw e }
}

/// out[z, y, x] = mean of src[z, 2y..2y+1, 2x..2x+1] (the voxels that exist at an odd edge;
/// integers round half up), or src[z, 2y, 2x] when `nearest`.
func reduce2x(_ src: Volume, into out: Volume, nearest: Bool) {
    switch (src.storage, out.storage) {
    case (.u8(let a), .u8(let b)): reduce2x(a.pointer, src.shape, b.pointer, out.shape, nearest: nearest)
    case (.u16(let a), .u16(let b)): reduce2x(a.pointer, src.shape, b.pointer, out.shape, nearest: nearest)
    case (.u32(let a), .u32(let b)): reduce2x(a.pointer, src.shape, b.pointer, out.shape, nearest: nearest)
    case (.f32(let a), .f32(let b)): reduce2xFloat(a.pointer, src.shape, b.pointer, out.shape, nearest: nearest)
    default: break
    }
}

/// Integer means: sums in UInt64 (4 × 32 bits cannot overflow), rounded half up exactly as
/// (2·sum + n) / (2n).
private func reduce2x<T: FixedWidthInteger & UnsignedInteger>(_ sp: UnsafeMutablePointer<T>, _ s: Shape,
                                                              _ op: UnsafeMutablePointer<T>, _ o: Shape, nearest: Bool) {
    for z in 0..<o.z {
        for y in 0..<o.y {
            let r0 = sp + (z * s.y + 2 * y) * s.x
            let r1 = sp + (z * s.y + min(2 * y + 1, s.y - 1)) * s.x
            let rows: UInt64 = 2 * y + 1 < s.y ? 2 : 1
            let d = op + (z * o.y + y) * o.x
            if nearest {
                for x in 0..<o.x { d[x] = r0[2 * x] }
                continue
            }
            let full = s.x / 2   // output columns with both source columns present
            for x in 0..<full {
                let sum = rows == 2 ? UInt64(r0[2 * x]) &+ UInt64(r0[2 * x + 1]) &+ UInt64(r1[2 * x]) &+ UInt64(r1[2 * x + 1])
                                    : UInt64(r0[2 * x]) &+ UInt64(r0[2 * x + 1])
                let n = rows * 2
                d[x] = T(truncatingIfNeeded: (2 &* sum &+ n) / (2 &* n))
            }
            if full < o.x {   // odd width: the last column alone
                let sum = rows == 2 ? UInt64(r0[2 * full]) &+ UInt64(r1[2 * full]) : UInt64(r0[2 * full])
                d[full] = T(truncatingIfNeeded: (2 &* sum &+ rows) / (2 &* rows))
            }
        }
    }
}

/// Float means in Double, like the integer path's set of voxels.
private func reduce2xFloat(_ sp: UnsafeMutablePointer<Float>, _ s: Shape, _ op: UnsafeMutablePointer<Float>, _ o: Shape,
                           nearest: Bool) {
    for z in 0..<o.z {
        for y in 0..<o.y {
            let r0 = sp + (z * s.y + 2 * y) * s.x
            let r1 = sp + (z * s.y + min(2 * y + 1, s.y - 1)) * s.x
            let two = 2 * y + 1 < s.y
            let d = op + (z * o.y + y) * o.x
            for x in 0..<o.x {
                if nearest { d[x] = r0[2 * x]; continue }
                let x1 = min(2 * x + 1, s.x - 1)
                var sum = Double(r0[2 * x]), n = 1.0
                if x1 != 2 * x { sum += Double(r0[x1]); n += 1 }
                if two {
                    sum += Double(r1[2 * x]); n += 1
                    if x1 != 2 * x { sum += Double(r1[x1]); n += 1 }
                }
                d[x] = Float(sum / n)
            }
        }
    }
}
