/// Allocates a zero-filled or uninitialised buffer after checking the memory ceiling.
func analysisBuffer<T>(_ count: Int, _ type: T.Type, what: String, zeroed: Bool) throws -> VoxelBuffer<T> {
    guard let bytes = MemoryBudget.bytes([count], elementSize: MemoryLayout<T>.stride) else {
        throw MemoryLimitError(requested: Int.max, limit: MemoryBudget.limit, what: what)
    }
    try MemoryBudget.check(bytes, what: what)
    return zeroed ? VoxelBuffer<T>(zeroed: count) : VoxelBuffer<T>(uninitialized: count)
}

/// A u8 0/1 view of "non-zero" for any volume. A u8 volume is returned as is (its non-zero
/// voxels are the foreground); other types are converted.
func foregroundBytes(_ v: Volume, what: String) throws -> VoxelBuffer<UInt8> {
    if case .u8(let b) = v.storage { return b }
    let n = v.count
    let out = try analysisBuffer(n, UInt8.self, what: what, zeroed: false)
    let o = out.pointer
    let block = 1 << 16
    let blocks = (n + block - 1) / block
    switch v.storage {
    case .u8: break
    case .u16(let b):
        let p = b.pointer
        parallelFor(blocks) { k in for i in (k * block)..<min(n, (k + 1) * block) { o[i] = p[i] != 0 ? 1 : 0 } }
    case .u32(let b):
        let p = b.pointer
        parallelFor(blocks) { k in for i in (k * block)..<min(n, (k + 1) * block) { o[i] = p[i] != 0 ? 1 : 0 } }
    case .f32(let b):
        let p = b.pointer
        parallelFor(blocks) { k in for i in (k * block)..<min(n, (k + 1) * block) { o[i] = p[i] > 0.5 ? 1 : 0 } }
    }
    try Cancellation.check()
    return out
}

/// Calls `body(label, x0, x1)` for every run row[x0..<x1] of one non-zero label in row[0..<n]
/// (the scan behind the per-object boxes, sizes and moments).
@inline(__always) func forEachLabelRun(_ row: UnsafePointer<UInt32>, _ n: Int, _ body: (UInt32, Int, Int) -> Void) {
    var x = 0
    while x < n {
        let l = row[x]
        if l == 0 { x += 1; continue }
        let x0 = x
        while x < n && row[x] == l { x += 1 }
        body(l, x0, x)
    }
}

/// A u32 label view of an integer volume (u32 as is; u8/u16 widened). f32 is refused.
func labelWords(_ v: Volume, operation: String) throws -> VoxelBuffer<UInt32> {
    switch v.storage {
    case .u32(let b): return b
    case .f32: throw VolumeError.unsupportedType(operation: operation, .f32)
    case .u8(let b):
        let out = try analysisBuffer(v.count, UInt32.self, what: operation, zeroed: false)
        let p = b.pointer, o = out.pointer
        for i in 0..<v.count { o[i] = UInt32(p[i]) }
        return out
    case .u16(let b):
        let out = try analysisBuffer(v.count, UInt32.self, what: operation, zeroed: false)
        let p = b.pointer, o = out.pointer
        for i in 0..<v.count { o[i] = UInt32(p[i]) }
        return out
    }
}

/// Renumbers the non-zero labels in scan order (z, y, x): the first label met becomes 1, and so on.
/// Returns the number of labels.
@discardableResult
func renumberScanOrder(_ labels: UnsafeMutablePointer<UInt32>, count: Int) -> Int {
    var map: [UInt32: UInt32] = [:]
    var next: UInt32 = 0
    var last: UInt32 = 0, lastNew: UInt32 = 0
    for i in 0..<count {
        let l = labels[i]
        if l == 0 { continue }
        if l == last { labels[i] = lastNew; continue }
        let m: UInt32
        if let e = map[l] { m = e } else { next &+= 1; m = next; map[l] = m }
        last = l; lastNew = m
        labels[i] = m
    }
    return Int(next)
}
