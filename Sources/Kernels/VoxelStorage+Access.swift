#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Synchronization

/// Element types a kernel loop can read generically (specialised per type by the optimiser).
public protocol VoxelScalar: Sendable, Equatable {
    var floatValue: Float { get }
    var doubleValue: Double { get }
    var isNonZero: Bool { get }
}

extension UInt8: VoxelScalar {
    @inline(__always) public var floatValue: Float { Float(self) }
    @inline(__always) public var doubleValue: Double { Double(self) }
    @inline(__always) public var isNonZero: Bool { self != 0 }
}
extension UInt16: VoxelScalar {
    @inline(__always) public var floatValue: Float { Float(self) }
    @inline(__always) public var doubleValue: Double { Double(self) }
    @inline(__always) public var isNonZero: Bool { self != 0 }
}
extension UInt32: VoxelScalar {
    @inline(__always) public var floatValue: Float { Float(self) }
    @inline(__always) public var doubleValue: Double { Double(self) }
    @inline(__always) public var isNonZero: Bool { self != 0 }
}
extension Float: VoxelScalar {
    @inline(__always) public var floatValue: Float { self }
    @inline(__always) public var doubleValue: Double { Double(self) }
    @inline(__always) public var isNonZero: Bool { self != 0 }
}

/// Visits the typed element pointer of a storage (one specialisation per voxel type).
protocol StorageVisitor {
    associatedtype Result
    func visit<T: VoxelScalar>(_ p: UnsafeMutablePointer<T>, count: Int) throws -> Result
}

extension VoxelStorage {
    func visit<V: StorageVisitor>(_ v: V) throws -> V.Result {
        switch self {
        case .u8(let b): return try v.visit(b.pointer, count: b.count)
        case .u16(let b): return try v.visit(b.pointer, count: b.count)
        case .u32(let b): return try v.visit(b.pointer, count: b.count)
        case .f32(let b): return try v.visit(b.pointer, count: b.count)
        }
    }
}

/// Storage of `count` voxels of `type`, after checking the memory ceiling.
/// `zeroed: false` leaves it uninitialised: the caller writes every element.
func allocateStorage(_ type: VoxelType, count: Int, what: String, zeroed: Bool = false) throws -> VoxelStorage {
    guard let bytes = MemoryBudget.bytes([count], elementSize: type.byteSize) else {
        throw MemoryLimitError(requested: Int.max, limit: MemoryBudget.limit, what: what)
    }
    try MemoryBudget.check(bytes, what: what)
    if zeroed { return .zeroed(type, count: count) }
    switch type {
    case .u8: return .u8(VoxelBuffer(uninitialized: count))
    case .u16: return .u16(VoxelBuffer(uninitialized: count))
    case .u32: return .u32(VoxelBuffer(uninitialized: count))
    case .f32: return .f32(VoxelBuffer(uninitialized: count))
    }
}

/// Large buffers straight from mmap: 2 MiB-aligned, marked MADV_HUGEPAGE (Linux transparent huge
/// pages, used when the system allows them, 4 KiB pages otherwise), unmapped on release.
enum LargeAllocation {
    /// Buffers from this size up are mapped (smaller ones come from malloc).
    static let threshold = 4 << 20
    static let alignment = 2 << 20

    /// Freed mappings kept for reuse (address, length), oldest first, at most `cacheLimit` bytes:
    /// a buffer of a size just freed (the usual pattern: one result per command, then dropped)
    /// comes back without the kernel clearing its pages again, as malloc's heap would give it.
    private static let cache = Mutex<[(address: Int, length: Int)]>([])
    static let cacheLimit = min(512 << 20, MemoryBudget.limit / 8)

    /// A mapping of at least `count * stride` bytes, or nil (below the threshold, on overflow, or
    /// when mmap fails: the caller falls back to malloc). With `zeroed` it is a fresh, zero-filled
    /// mapping; otherwise a freed one of the same length may be reused (contents undefined).
    static func map(count: Int, stride: Int, zeroed: Bool = true) -> (pointer: UnsafeMutableRawPointer, length: Int)? {
        #if os(Linux)
        let (bytes, o1) = count.multipliedReportingOverflow(by: stride)
        guard !o1, bytes >= threshold else { return nil }
        let (rounded, o2) = bytes.addingReportingOverflow(alignment - 1)
        guard !o2 else { return nil }
        let length = rounded / alignment * alignment
        if !zeroed, let a = cache.withLock({ c -> Int? in
            guard let i = c.lastIndex(where: { $0.length == length }) else { return nil }
            return c.remove(at: i).address
        }), let p = UnsafeMutableRawPointer(bitPattern: a) {
            return (p, length)
        }
        let (total, o3) = length.addingReportingOverflow(alignment)
        guard !o3, let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              Int(bitPattern: raw) != -1 else { return nil }
        // Keep the 2 MiB-aligned part, give back the head and tail.
        let start = (Int(bitPattern: raw) + alignment - 1) / alignment * alignment
        let head = start - Int(bitPattern: raw)
        if head > 0 { munmap(raw, head) }
        let tail = total - head - length
        if tail > 0 { munmap(raw + head + length, tail) }
        let p = raw + head
        _ = madvise(p, length, 14)  // MADV_HUGEPAGE
        return (p, length)
        #else
        return nil
        #endif
    }

    /// Releases a mapping from `map`: kept in the reuse cache, the oldest ones unmapped beyond its limit.
    static func unmap(_ p: UnsafeMutableRawPointer, length: Int) {
        #if os(Linux)
        let evicted = cache.withLock { c -> [(address: Int, length: Int)] in
            c.append((Int(bitPattern: p), length))
            var total = c.reduce(0) { $0 + $1.length }
            var out: [(address: Int, length: Int)] = []
            while total > cacheLimit, !c.isEmpty {
                let e = c.removeFirst()
                total -= e.length
                out.append(e)
            }
            return out
        }
        for e in evicted {
            if let q = UnsafeMutableRawPointer(bitPattern: e.address) { munmap(q, e.length) }
        }
        #endif
    }
}
