import _Platform
import Kernels

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
