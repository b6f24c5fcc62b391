/// The 256-bin histogram of a volume, per slice and in total (or of slice `z` only).
///
/// u8 volumes (and masks) count grey levels directly (bin b = value b, lo 0, hi 255). u16, u32 and f32
/// volumes are binned evenly between their minimum and maximum (over the whole volume, or over slice z):
/// bin = ⌊(v − min)·256/(max − min)⌋, the maximum in bin 255; NaN voxels are not counted.
public func histogram(_ v: Volume, z: Int? = nil) throws -> Histogram {
    var vol = v
    if let z {
        guard z >= -v.shape.z, z < v.shape.z else {
            throw VolumeError.invalidArgument(operation: "histogram", "slice \(z) is outside 0:\(v.shape.z)")
        }
        vol = try crop(v, z: (z < 0 ? v.shape.z + z : z)..<((z < 0 ? v.shape.z + z : z) + 1))
    }
    let nz = vol.shape.z, plane = vol.shape.sliceCount
    let counts = VoxelBuffer<UInt64>(zeroed: nz * 256)
    let pc = counts.pointer
    if case .u8(let b) = vol.storage {
        let p = b.pointer
        try parallelSlices(nz) { z in countBytes(p + z * plane, plane, into: pc + z * 256) }
        return Histogram(perSlice: counts.array, sliceCount: nz, lo: 0, hi: 255)
    }
    var (lo, hi) = try minMax(vol)
    if hi <= lo { hi = lo + 1 }
    try vol.storage.visit(BinVisitor(plane: plane, nz: nz, lo: lo, hi: hi, out: pc))
    return Histogram(perSlice: counts.array, sliceCount: nz, lo: lo, hi: hi)
}

/// Counts the bytes of `p[0..<n]` into `out[0..<256]` (four interleaved tables, 8 bytes per load).
@inline(__always) func countBytes(_ p: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeMutablePointer<UInt64>) {
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 1024) { t in
        guard let c = t.baseAddress else { return }
        c.initialize(repeating: 0, count: 1024)
        var i = 0
        // UInt32 tables: flush every 2^31 bytes at most (a slice is far smaller, but stay safe).
        while i < n {
            let end = min(n, i + (1 << 30))
            let raw = UnsafeRawPointer(p + i)
            let words = (end - i) / 8
            for w in 0..<words {
                let x = raw.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)
                c[Int(x & 0xff)] &+= 1
                c[256 + Int((x >> 8) & 0xff)] &+= 1
                c[512 + Int((x >> 16) & 0xff)] &+= 1
                c[768 + Int((x >> 24) & 0xff)] &+= 1
                c[Int((x >> 32) & 0xff)] &+= 1
                c[256 + Int((x >> 40) & 0xff)] &+= 1
                c[512 + Int((x >> 48) & 0xff)] &+= 1
                c[768 + Int(x >> 56)] &+= 1
            }
            var j = i + words * 8
            while j < end { c[Int(p[j])] &+= 1; j &+= 1 }
            for b in 0..<256 {
                out[b] &+= UInt64(c[b]) &+ UInt64(c[256 + b]) &+ UInt64(c[512 + b]) &+ UInt64(c[768 + b])
            }
            c.update(repeating: 0, count: 1024)
            i = end
        }
    }
}

private struct BinVisitor: StorageVisitor {
    let plane: Int, nz: Int
    let lo: Double, hi: Double
    let out: UnsafeMutablePointer<UInt64>
    func visit<T: VoxelScalar>(_ p: UnsafeMutablePointer<T>, count: Int) throws {
        let scale = 256 / (hi - lo), lo = self.lo, plane = self.plane, out = self.out
        try parallelSlices(nz) { z in
            let o = out + z * 256
            let s = p + z * plane
            for i in 0..<plane {
                let d = (s[i].doubleValue - lo) * scale
                guard d.isFinite else { continue }
                let b = d <= 0 ? 0 : (d >= 255 ? 255 : Int(d))
                o[b] &+= 1
            }
        }
    }
}
