import _Platform
import Runtime
import Kernels

// `info`: what a value is (type, shape, voxel type, spacing, memory size, statistics).

let infoCommands: [Command] = [
    Command(
        name: "info", topic: .looking,
        summary: "describe a value: type, shape, voxel type, spacing, memory size and statistics",
        help: """
        Prints one `name  value` line per property: for volumes the kind, shape (z×y×x), voxel type,
        spacing, physical extent, memory size, min/max/mean/standard deviation, and the foreground
        fraction (masks) or object count (labels); for histograms the slice count, total count, mode and
        mean; for tables the row count and each column's type; for other values their type and size.
        Returns nil.
        """,
        positionals: [.positional("value", .any, "the value to describe")],
        examples: [
            Example("p = phantom --size [4, 32, 32]; info $p.image", "shape, type, spacing and statistics", expect: "4×32×32"),
            Example("info {a: 1, b: \"x\"}", "a record's fields", expect: "record"),
        ],
        run: { args, host in
            host.write(ValueInfo.lines(args["value"] ?? .null).map { "\($0.0.padded(to: 10)) \($0.1)\n" }.joined())
            return .null
        }
    ),
]

// MARK: - info

enum ValueInfo {
    static func lines(_ value: Value) -> [(String, String)] {
        var out: [(String, String)] = [("type", value.typeName)]
        switch value {
        case .volume(let v):
            out.append(("shape", "\(v.shape) (z×y×x)"))
            out.append(("voxels", "\(v.type.rawValue), \(v.count) voxels"))
            let sp = v.spacing
            out.append(("spacing", "\(formatNumber(sp.x))×\(formatNumber(sp.y))×\(formatNumber(sp.z)) nm (x×y×z)"))
            let ex = Double(v.shape.x) * sp.x / 1000, ey = Double(v.shape.y) * sp.y / 1000, ez = Double(v.shape.z) * sp.z / 1000
            out.append(("extent", "\(fixed(ex, 2))×\(fixed(ey, 2))×\(fixed(ez, 2)) µm"))
            out.append(("memory", formatBytes(v.byteCount)))
            let s = VolumeSummary.stats(v)
            out.append(("min", formatNumber(s.min)))
            out.append(("max", formatNumber(s.max)))
            out.append(("mean", fixed(s.mean, 3)))
            out.append(("std", fixed(standardDeviation(v, mean: s.mean, count: v.count - s.nan), 3)))
            if s.nan > 0 { out.append(("NaN", "\(s.nan) voxels (left out of min, max, mean and std)")) }
            switch v.kind {
            case .mask:
                out.append(("foreground", "\(fixed(v.count > 0 ? 100 * Double(s.nonzero) / Double(v.count) : 0, 2))% (\(s.nonzero) voxels)"))
            case .labels:
                out.append(("objects", "\(VolumeSummary.objectCount(v))"))
            case .image:
                out.append(("non-zero", "\(s.nonzero) voxels"))
            }
        case .histogram(let h):
            let t = h.total
            let total = t.reduce(0, &+)
            var mode = 0
            for (b, c) in t.enumerated() where c > t[mode] { mode = b }
            var mean = 0.0
            for (b, c) in t.enumerated() { mean += h.binCenter(b) * Double(c) }
            out.append(("slices", "\(h.sliceCount)"))
            out.append(("bins", "\(Histogram.binCount) over \(formatNumber(h.lo))..\(formatNumber(h.hi))"))
            out.append(("voxels", "\(total)"))
            out.append(("mode", formatNumber(h.binCenter(mode))))
            out.append(("mean", fixed(total > 0 ? mean / Double(total) : 0, 3)))
        case .table(let tb):
            out.append(("rows", "\(tb.rowCount)"))
            for (name, col) in zip(tb.names, tb.columns) {
                switch col {
                case .number(let v):
                    let f = v.filter { $0.isFinite }
                    let mean = f.isEmpty ? 0 : f.reduce(0, +) / Double(f.count)
                    out.append((name, "number · min \(formatNumber(f.min() ?? 0)) max \(formatNumber(f.max() ?? 0)) mean \(fixed(mean, 4))"))
                case .string: out.append((name, "string"))
                }
            }
        case .list(let l):
            out.append(("length", "\(l.count)"))
            let types = Set(l.map(\.typeName)).sorted()
            if !types.isEmpty { out.append(("elements", types.joined(separator: ", "))) }
        case .record(let r):
            for (k, v) in r.pairs { out.append((k, v.typeName)) }
        case .string(let s):
            out.append(("length", "\(s.count) characters"))
            out.append(("value", quoted(s, .emsh)))
        case .object(let o):
            out.append(("summary", o.summary))
            for (i, line) in o.details.split(separator: "\n").enumerated() where !(i == 0 && line == o.summary) {
                out.append(("", String(line)))
            }
        default:
            out.append(("value", value.display))
        }
        return out
    }

    /// Over the `count` voxels that are not NaN.
    static func standardDeviation(_ v: Volume, mean: Double, count: Int) -> Double {
        guard count > 1 else { return 0 }
        let zs = v.shape.z, slice = v.shape.sliceCount
        var sums = [Double](repeating: 0, count: zs)
        func run<T>(_ p: UnsafeMutablePointer<T>, _ conv: (T) -> Double) {
            sums.withUnsafeMutableBufferPointer { su in
                parallelFor(zs) { z in
                    var s = 0.0
                    for i in (z * slice)..<((z + 1) * slice) {
                        let d = conv(p[i]) - mean
                        if !d.isNaN { s += d * d }
                    }
                    su[z] = s
                }
            }
        }
        switch v.storage {
        case .u8(let b): run(b.pointer) { Double($0) }
        case .u16(let b): run(b.pointer) { Double($0) }
        case .u32(let b): run(b.pointer) { Double($0) }
        case .f32(let b): run(b.pointer) { Double($0) }
        }
        return (sums.reduce(0, +) / Double(count)).squareRoot()
    }
}
