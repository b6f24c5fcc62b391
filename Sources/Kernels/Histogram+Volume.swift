import _Platform
/// The 256-bin histogram of a volume, per slice and in total (or of slice `z` only).
///
/// u8 volumes (and masks) count grey levels directly (bin b = value b, lo 0, hi 255). u16, u32 and f32
/// volumes are binned evenly between their minimum and maximum (over the whole volume, or over slice z):
/// bin = ⌊(v − min)·256/(max − min)⌋, the maximum in bin 255, over the finite voxels; ±infinity
/// counts in the first or last bin, NaN not at all.
public func histogram(_ v: Volume, z: Int? = nil) throws -> Histogram {
    var vol = v
    if let z {
        guard let k = IndexRange.index(z, count: v.shape.z) else {
            throw VolumeError.invalidArgument(operation: "histogram", IndexRange.indexProblem(z, count: v.shape.z))
        }
        vol = try crop(v, z: k..<(k + 1))
    }
    let nz = vol.shape.z, plane = vol.shape.sliceCount
    let counts = VoxelBuffer<UInt64>(zeroed: nz * 256)
    let pc = counts.pointer
    if case .u8(let b) = vol.storage {
        let p = b.pointer
        try Cancellation.check()
        parallelChunks(nz) { _, slices in
            let pairs = VoxelBuffer<UInt32>(uninitialized: 65536)
            for z in slices where !Cancellation.isCancelled {
                countBytes(p + z * plane, plane, into: pc + z * 256, pairs: pairs.pointer)
            }
        }
        try Cancellation.check()
        return Histogram(perSlice: counts.array, sliceCount: nz, lo: 0, hi: 255)
    }
    var (lo, hi) = try minMax(vol, finiteOnly: true)
    if hi <= lo { hi = lo + 1 }
    try vol.storage.visit(BinVisitor(plane: plane, nz: nz, lo: lo, hi: hi, out: pc))
    return Histogram(perSlice: counts.array, sliceCount: nz, lo: lo, hi: hi)
}

/// Counts the bytes of `p[0..<n]` into `out[0..<256]`, two bytes at a time: each 16-bit pair
/// increments one entry of the 65536-entry table `pairs` (scratch), then the table's rows and
/// columns are folded into the byte counts. Half the increments of counting bytes one by one, which
/// is what limits a histogram (the increments of neighbouring equal values wait on each other).
@inline(__always) func countBytes(_ p: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeMutablePointer<UInt64>,
                                  pairs: UnsafeMutablePointer<UInt32>) {
    var i = 0
    // UInt32 entries: fold every 2^30 bytes at most (a slice is far smaller, but stay safe).
    while i < n {
        let end = min(n, i + (1 << 30))
        pairs.initialize(repeating: 0, count: 65536)
        let raw = UnsafeRawPointer(p + i)
        let words = (end - i) / 8
        for w in 0..<words {
            let x = raw.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)
            pairs[Int(x & 0xffff)] &+= 1
            pairs[Int((x >> 16) & 0xffff)] &+= 1
            pairs[Int((x >> 32) & 0xffff)] &+= 1
            pairs[Int(x >> 48)] &+= 1
        }
        var j = i + words * 8
        while j < end { out[Int(p[j])] &+= 1; j &+= 1 }
        // Entry hi·256 + lo counts one `lo` byte and one `hi` byte: row sums are the `hi` counts,
        // column sums the `lo` counts.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { c in
            guard let columns = c.baseAddress else { return }
            columns.initialize(repeating: 0, count: 256)
            for hi in 0..<256 {
                let row = pairs + hi * 256
                var rowSum: UInt32 = 0
                for lo in 0..<256 {
                    columns[lo] &+= row[lo]
                    rowSum &+= row[lo]
                }
                out[hi] &+= UInt64(rowSum)
            }
            for lo in 0..<256 { out[lo] &+= UInt64(columns[lo]) }
        }
        i = end
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
                if d.isNaN { continue }
                let b = d <= 0 ? 0 : (d >= 255 ? 255 : Int(d))  // ±infinity: the end bins
                o[b] &+= 1
            }
        }
    }
}
