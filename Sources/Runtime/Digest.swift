import Kernels

/// A 64-bit FNV-1a content digest: results of journaled statements are compared by it on replay.
public struct Digest: Sendable {
    public private(set) var state: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(bytes: UnsafeRawBufferPointer) {
        var h = state
        // Eight bytes at a time: the digest of a large volume must stay cheap.
        let words = bytes.count / 8
        for i in 0..<words {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0x100_0000_01b3
        }
        for i in (words * 8)..<bytes.count { h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01b3 }
        state = h
    }

    public mutating func add(_ s: String) {
        var copy = s
        copy.withUTF8 { add(bytes: UnsafeRawBufferPointer($0)) }
        add(UInt64(s.utf8.count))
    }

    public mutating func add(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { add(bytes: $0) }
    }

    public mutating func add(_ d: Double) { add(d.bitPattern) }

    public var hex: String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

extension Value {
    /// Digest of the value's content (not its identity), stable across runs and thread counts.
    public var digest: Digest {
        var d = Digest()
        feed(&d)
        return d
    }

    public func feed(_ d: inout Digest) {
        d.add(typeName)
        switch self {
        case .null: break
        case .bool(let b): d.add(UInt64(b ? 1 : 0))
        case .number(let n): d.add(n)
        case .string(let s): d.add(s)
        case .list(let l):
            d.add(UInt64(l.count))
            for v in l { v.feed(&d) }
        case .record(let r):
            d.add(UInt64(r.count))
            for (k, v) in r.pairs { d.add(k); v.feed(&d) }
        case .volume(let v):
            d.add(UInt64(v.shape.z)); d.add(UInt64(v.shape.y)); d.add(UInt64(v.shape.x))
            d.add(v.spacing.x); d.add(v.spacing.y); d.add(v.spacing.z)
            d.add(v.type.rawValue)
            d.add(bytes: UnsafeRawBufferPointer(start: v.storage.rawPointer, count: v.byteCount))
        case .histogram(let h):
            h.perSlice.withUnsafeBytes { d.add(bytes: $0) }
            d.add(h.lo); d.add(h.hi)
        case .table(let t):
            for (name, col) in zip(t.names, t.columns) {
                d.add(name)
                switch col {
                case .number(let v): v.withUnsafeBytes { d.add(bytes: $0) }
                case .string(let v): for s in v { d.add(s) }
                }
            }
        case .object(let o): o.digest(into: &d)
        }
    }
}
