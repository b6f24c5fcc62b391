import Kernels

/// Writes downsampled levels 1..<levels (2× in y and x per level; z kept — SBF-SEM voxels are
/// anisotropic) from level 0 of the store, chunk by chunk with bounded memory: mean for images
/// (rounded to the nearest integer for integer types), nearest (the voxel at even coordinates)
/// for masks and labels; updates the multiscales metadata with the right scale per level.
///
/// Each level is made from the one above it (as ome-zarr does), one output chunk at a time: the
/// memory in use is about four chunks of the level above per worker thread. Levels keep level
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
    let zattrs = ZarrFiles.join(path, ".zattrs")
    let oldAttrs = try ZarrFiles.readJSON(zattrs)
    // Level 0's own scale (the scale emsh read, in nm), doubled in y and x per level.
    let s0 = [base.spacing.z, base.spacing.y, base.spacing.x]
    var scales = [s0]
    // Remove levels the old metadata listed beyond 0 (and folders of the names about to be written).
    if let ms = try ZarrMultiscales.find(in: oldAttrs, file: zattrs) {
        for d in ms.datasets.dropFirst() {
            let folder = ZarrFiles.join(path, d.path)
            if ZarrFiles.kind(folder) == .folder && ZarrFiles.isZarrFolder(folder) { try ZarrFiles.removeTree(folder) }
        }
    }
    var source = base
    for level in 1..<max(levels, 1) {
        let folder = ZarrFiles.join(path, String(level))
        if ZarrFiles.kind(folder) == .folder && ZarrFiles.isZarrFolder(folder) { try ZarrFiles.removeTree(folder) }
        let shape = Shape(z: source.shape.z, y: (source.shape.y + 1) / 2, x: (source.shape.x + 1) / 2)
        try ZarrFiles.makeFolders(folder)
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

/// Fills every chunk of `target` (half the y, x size of `source`) from `source`.
private func downsample(from source: ZarrArray, into target: ZarrArray, nearest: Bool) throws {
    let g = target.chunkGrid
    // One chunk at a time; each chunk's source box is decoded in parallel inside `read`.
    for cz in 0..<g.z {
        for cy in 0..<g.y {
            for cx in 0..<g.x {
                let b = target.chunkBox(cz: cz, cy: cy, cx: cx)
                let sy = (2 * b.y.lowerBound)..<min(source.shape.y, 2 * b.y.upperBound)
                let sx = (2 * b.x.lowerBound)..<min(source.shape.x, 2 * b.x.upperBound)
                let src = try source.read(z: b.z, y: sy, x: sx)
                let out = Volume(zeros: Shape(z: b.z.count, y: b.y.count, x: b.x.count), type: target.type,
                                 spacing: target.spacing, kind: target.kind)
                reduce2x(src, into: out, nearest: nearest)
                try target.writeChunk(out, cz: cz, cy: cy, cx: cx)
            }
        }
    }
}

/// out[z, y, x] = mean of src[z, 2y..2y+1, 2x..2x+1] (the voxels that exist at an odd edge), or
/// src[z, 2y, 2x] when `nearest`.
func reduce2x(_ src: Volume, into out: Volume, nearest: Bool) {
    let s = src.shape, o = out.shape
    func run<T>(_ sp: UnsafeMutablePointer<T>, _ op: UnsafeMutablePointer<T>, _ mean: (Double, Int) -> T, _ value: (T) -> Double) {
        for z in 0..<o.z {
            for y in 0..<o.y {
                let y0 = 2 * y, y1 = min(2 * y + 1, s.y - 1)
                for x in 0..<o.x {
                    let x0 = 2 * x, x1 = min(2 * x + 1, s.x - 1)
                    let di = (z * o.y + y) * o.x + x
                    if nearest { op[di] = sp[(z * s.y + y0) * s.x + x0]; continue }
                    var sum = 0.0, n = 0
                    for yy in y0...y1 {
                        for xx in x0...x1 { sum += value(sp[(z * s.y + yy) * s.x + xx]); n += 1 }
                    }
                    op[di] = mean(sum, n)
                }
            }
        }
    }
    // Integer means round half up, exactly: sums of at most 4 voxels of 32 bits fit a Double.
    switch (src.storage, out.storage) {
    case (.u8(let a), .u8(let b)): run(a.pointer, b.pointer, { UInt8((($0 / Double($1)) + 0.5).rounded(.down)) }, { Double($0) })
    case (.u16(let a), .u16(let b)): run(a.pointer, b.pointer, { UInt16((($0 / Double($1)) + 0.5).rounded(.down)) }, { Double($0) })
    case (.u32(let a), .u32(let b)): run(a.pointer, b.pointer, { UInt32(min((($0 / Double($1)) + 0.5).rounded(.down), 4_294_967_295)) }, { Double($0) })
    case (.f32(let a), .f32(let b)): run(a.pointer, b.pointer, { Float($0 / Double($1)) }, { Double($0) })
    default: break
    }
}
