import _Platform
import Kernels

extension Value {
    /// The form `print` uses and the REPL shows after a statement: one line, except a table, shown
    /// like a data frame (its first rows).
    public var display: String {
        switch self {
        case .string(let s): return s
        case .table(let t):
            var text = tableText(t, rows: Value.tableDisplayRows)
            if text.hasSuffix("\n") { text.removeLast() }
            return text
        default: return literal
        }
    }

    /// Rows of a table that `print` and the REPL show (`show --rows N` shows more).
    public static let tableDisplayRows = 10

    /// The literal form (strings quoted), used inside lists and records.
    public var literal: String {
        switch self {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return formatNumber(n)
        case .string(let s): return quoted(s, .emsh)
        case .list(let l): return "[" + l.map(\.literal).joined(separator: ", ") + "]"
        case .record(let r): return "{" + r.pairs.map { "\($0.key): \($0.value.literal)" }.joined(separator: ", ") + "}"
        case .volume(let v): return VolumeSummary.line(v)
        case .histogram(let h): return "histogram \(h.sliceCount) slices " + sparkline(h.total)
        case .table(let t): return "table \(t.rowCount) rows × \(t.names.count) columns (\(t.names.joined(separator: ", ")))"
        case .object(let o): return o.summary
        }
    }
}


/// Eight-level block sparkline of counts.
public func sparkline(_ counts: [UInt64], width: Int = 32) -> String {
    let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    guard !counts.isEmpty else { return "" }
    let per = max(1, counts.count / width)
    var sums: [UInt64] = []
    var i = 0
    while i < counts.count {
        sums.append(counts[i..<min(counts.count, i + per)].reduce(0, &+))
        i += per
    }
    let mx = max(sums.max() ?? 1, 1)
    return String(sums.map { blocks[Int((Double($0) / Double(mx)) * 7.0 + 0.5)] })
}

/// Min, max, mean and foreground/object counts of a volume, for its one-line summary.
public enum VolumeSummary {
    public struct Stats: Sendable {
        public var min: Double
        public var max: Double
        public var mean: Double
        public var nonzero: Int
        /// NaN voxels (f32), left out of min, max and mean.
        public var nan: Int = 0
    }

    public static func stats(_ v: Volume) -> Stats {
        let n = v.count
        guard n > 0 else { return Stats(min: 0, max: 0, mean: 0, nonzero: 0) }
        let zs = v.shape.z, slice = v.shape.sliceCount
        var mins = [Double](repeating: .infinity, count: zs), maxs = [Double](repeating: -.infinity, count: zs)
        var sums = [Double](repeating: 0, count: zs), nzs = [Int](repeating: 0, count: zs)
        var nans = [Int](repeating: 0, count: zs)
        func run<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<T>) {
            mins.withUnsafeMutableBufferPointer { mi in maxs.withUnsafeMutableBufferPointer { ma in
                sums.withUnsafeMutableBufferPointer { su in nzs.withUnsafeMutableBufferPointer { nz in
                nans.withUnsafeMutableBufferPointer { na in
                    parallelFor(zs) { z in
                        var lo = T.infinity, hi = -T.infinity, s = 0.0, c = 0, nan = 0
                        for i in (z * slice)..<((z + 1) * slice) {
                            let x = p[i]
                            if x.isNaN { nan &+= 1; continue }
                            if x < lo { lo = x }
                            if x > hi { hi = x }
                            s += Double(x)
                            if x != 0 { c &+= 1 }
                        }
                        mi[z] = Double(lo); ma[z] = Double(hi); su[z] = s; nz[z] = c; na[z] = nan
                    }
                }
                }}
            }}
        }
        func runInt<T: FixedWidthInteger & UnsignedInteger>(_ p: UnsafeMutablePointer<T>) {
            mins.withUnsafeMutableBufferPointer { mi in maxs.withUnsafeMutableBufferPointer { ma in
                sums.withUnsafeMutableBufferPointer { su in nzs.withUnsafeMutableBufferPointer { nz in
                    parallelFor(zs) { z in
                        var lo = T.max, hi = T.min, s: UInt64 = 0, c = 0
                        for i in (z * slice)..<((z + 1) * slice) {
                            let x = p[i]
                            lo = Swift.min(lo, x); hi = Swift.max(hi, x)
                            s &+= UInt64(x)
                            c &+= x != 0 ? 1 : 0
                        }
                        mi[z] = Double(lo); ma[z] = Double(hi); su[z] = Double(s); nz[z] = c
                    }
                }}
            }}
        }
        switch v.storage {
        case .u8(let b): runInt(b.pointer)
        case .u16(let b): runInt(b.pointer)
        case .u32(let b): runInt(b.pointer)
        case .f32(let b): run(b.pointer)
        }
        let nan = nans.reduce(0, +), counted = n - nan
        guard counted > 0 else { return Stats(min: .nan, max: .nan, mean: .nan, nonzero: 0, nan: nan) }
        return Stats(min: mins.min() ?? 0, max: maxs.max() ?? 0, mean: sums.reduce(0, +) / Double(counted),
                     nonzero: nzs.reduce(0, +), nan: nan)
    }

    /// `volume 20×1024×1024 u8 7.5×7.5×50 nm · min 0 max 244 mean 125.0`
    public static func line(_ v: Volume) -> String {
        let s = stats(v)
        let sp = "\(formatNumber(v.spacing.x))×\(formatNumber(v.spacing.y))×\(formatNumber(v.spacing.z)) nm"
        let head = "\(v.kind == .image ? "volume" : v.kind.rawValue) \(v.shape) \(v.type.rawValue) \(sp)"
        switch v.kind {
        case .image:
            return head + " · min \(formatNumber(s.min)) max \(formatNumber(s.max)) mean \(fixed(s.mean, 1))"
                + (s.nan > 0 ? " · \(s.nan) NaN" : "")
        case .mask:
            let pct = v.count > 0 ? 100 * Double(s.nonzero) / Double(v.count) : 0
            return head + " · foreground \(fixed(pct, 2))%"
        case .labels:
            return head + " · \(objectCount(v)) objects"
        }
    }

    /// Distinct non-zero labels.
    public static func objectCount(_ v: Volume) -> Int {
        guard let b = v.u32 else { return 0 }
        var seen = Set<UInt32>()
        var last: UInt32 = 0
        for i in 0..<v.count {
            let x = b.pointer[i]
            if x != 0 && x != last { seen.insert(x); last = x }
        }
        return seen.count
    }
}

