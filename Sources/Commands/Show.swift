import _Platform
import Blocks
import Runtime
import Kernels
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// `show`: a value drawn in the terminal (volumes as half-block slices, histograms as bars, tables as text).

let showCommands: [Command] = [
    Command(
        name: "show", topic: .looking,
        summary: "draw a value: a volume slice in the terminal, a histogram as a bar chart, a table's first rows",
        help: """
        Volumes are drawn as one slice (the middle one unless --z is given) with Unicode half blocks in
        24-bit colour when the terminal says so (COLORTERM=truecolor) and 256-colour grey otherwise, fitted
        to about 80 columns; images are contrast-stretched per slice, masks are black and white, labels get
        one colour per object; of a chunked (OME-Zarr) volume only the slice drawn is read. Histograms are drawn as a bar chart (the total, or slice --z), tables as their
        first --rows rows aligned, models and other values with their details. Returns nil.
        """,
        positionals: [.positional("value", .any, "the value to draw")],
        options: [
            .option("z", .int, "the slice to draw (volumes, histograms); negative counts from the end"),
            .option("rows", .int, "table rows to show", default: .number(20), in: .atLeast(1)),
        ],
        examples: [
            Example("p = phantom --size [4, 32, 32]; show $p.image --z 1", "draw slice 1 of the phantom's image", expect: "slice 1"),
            Example("show [1, 2, 3]", "other values print their literal form", expect: "[1, 2, 3]"),
        ],
        run: { args, host in
            guard var value = args["value"] else { return .null }
            var z = args.has("z") ? try args.int("z") : nil
            var title: String?
            if case .object(let o) = value, let c = o as? ChunkedValue {
                // A chunked volume: only the slice drawn is read.
                let n = c.shape.z
                let slice = args.has("z") ? try args.slice("z", count: n) : n / 2
                value = .volume(try blockCall(args) { try c.volume.read(Box(slices: slice..<(slice + 1), of: c.shape)) })
                z = 0
                title = "slice \(slice) of \(n) · " + c.summary
            }
            host.write(try ShowRender.render(value, z: z, rows: try args.int("rows"), args: args, title: title))
            return .null
        }
    ),
]

/// Columns of the terminal on stdout (80 when it is not a terminal).
func terminalColumns() -> Int {
    var ws = winsize()
    if isatty(1) == 1, ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 20 { return Int(ws.ws_col) }
    return 80
}

// MARK: - show

enum ShowRender {
    /// `title` replaces a volume's first line (a slice read from a chunked volume names its store and place).
    static func render(_ value: Value, z: Int?, rows: Int, args: Arguments, title: String? = nil) throws -> String {
        switch value {
        case .volume(let v): return try volume(v, z: z, args: args, title: title)
        case .histogram(let h): return try histogram(h, z: z, args: args)
        case .table(let t): return tableText(t, rows: rows)
        case .object(let o): return o.summary + "\n" + o.details + (o.details.hasSuffix("\n") ? "" : "\n")
        case .record(let r):
            let width = min(24, (r.keys.map(\.count).max() ?? 0) + 1)
            return r.pairs.map { "\(($0.key + ":").padded(to: width)) \(oneLine($0.value))\n" }.joined()
        case .list(let l) where l.count > 8:
            return l.enumerated().map { "[\($0.offset)] \(oneLine($0.element))\n" }.joined()
        default: return value.display + "\n"
        }
    }

    private static func oneLine(_ v: Value) -> String { v.literal }

    private static func slice(_ z: Int?, count: Int, args: Arguments) throws -> Int {
        guard let z else { return count / 2 }
        guard let k = IndexRange.index(z, count: count) else { throw args.error("z", IndexRange.indexProblem(z, count: count)) }
        return k
    }

    /// Colour codes only for a terminal that wants them: piped output and NO_COLOR get characters;
    /// EMSH_COLOR=always|never overrides both.
    static var plainText: Bool {
        if let c = getenv("EMSH_COLOR") {
            switch String(cString: c) {
            case "always": return false
            case "never": return true
            default: break
            }
        }
        if let n = getenv("NO_COLOR"), n.pointee != 0 { return true }
        return isatty(1) != 1
    }

    /// A character ramp from dark to bright, and one character per label id, for plain output.
    static let ramp = Array(" .:-=+*#%@")
    static let labelGlyphs = Array("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// True colour when the terminal advertises it.
    static var trueColour: Bool {
        guard let c = getenv("COLORTERM") else { return false }
        let s = String(cString: c)
        return s.contains("truecolor") || s.contains("24bit")
    }

    static func volume(_ v: Volume, z: Int?, args: Arguments, title: String? = nil) throws -> String {
        guard v.count > 0 else { return VolumeSummary.line(v) + "\n" }
        let k = try slice(z, count: v.shape.z, args: args)
        let nx = v.shape.x, ny = v.shape.y
        let cols = min(nx, max(8, min(80, terminalColumns() - 1)))
        let scale = Double(nx) / Double(cols)
        let aspect = v.spacing.x > 0 && v.spacing.y > 0 ? v.spacing.y / v.spacing.x : 1
        let pixelRows = max(1, Int((Double(ny) * aspect / scale).rounded()))
        // Box-average each output pixel over its source rectangle.
        var cells = [Double](repeating: 0, count: cols * pixelRows)
        var labelCells = [UInt32](repeating: 0, count: cols * pixelRows)
        let base = k * v.shape.sliceCount
        for r in 0..<pixelRows {
            let y0 = r * ny / pixelRows, y1 = max(y0 + 1, (r + 1) * ny / pixelRows)
            for c in 0..<cols {
                let x0 = c * nx / cols, x1 = max(x0 + 1, (c + 1) * nx / cols)
                var s = 0.0
                for y in y0..<y1 {
                    let row = base + y * nx
                    switch v.storage {
                    case .u8(let b): for x in x0..<x1 { s += Double(b.pointer[row + x]) }
                    case .u16(let b): for x in x0..<x1 { s += Double(b.pointer[row + x]) }
                    case .f32(let b): for x in x0..<x1 { s += Double(b.pointer[row + x]) }
                    case .u32(let b):
                        for x in x0..<x1 { s += Double(b.pointer[row + x]) }
                        // Labels: the centre voxel's id (averaging ids means nothing).
                        labelCells[r * cols + c] = b.pointer[base + ((y0 + y1) / 2) * nx + (x0 + x1) / 2]
                    }
                }
                cells[r * cols + c] = s / Double((y1 - y0) * (x1 - x0))
            }
        }
        let finite = cells.filter { $0.isFinite }
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if v.kind == .mask { lo = 0; hi = 1 }
        if hi <= lo { hi = lo + 1 }
        let labels = v.kind == .labels
        let tc = trueColour
        func colour(_ i: Int) -> (Int, Int, Int) {
            if labels {
                let id = labelCells[i]
                if id == 0 { return (0, 0, 0) }
                let (r, g, b) = labelColour(id)
                return (Int(r), Int(g), Int(b))
            }
            let x = cells[i].isFinite ? cells[i] : lo
            let g = Int(((x - lo) / (hi - lo) * 255).rounded())
            let c = Swift.max(0, Swift.min(255, g))
            return (c, c, c)
        }
        func code(_ rgb: (Int, Int, Int), background: Bool) -> String {
            let lead = background ? 48 : 38
            if tc { return "\u{1B}[\(lead);2;\(rgb.0);\(rgb.1);\(rgb.2)m" }
            return "\u{1B}[\(lead);5;\(xterm256(rgb))m"
        }
        var out = title ?? ("slice \(k) of \(v.shape.z) · " + VolumeSummary.line(v))
        if !labels { out += " · window \(formatNumber(lo))..\(formatNumber(hi))" }
        out += "\n"
        func same(_ a: (Int, Int, Int)?, _ b: (Int, Int, Int)) -> Bool {
            guard let a else { return false }
            return a == b
        }
        if plainText {
            // One character per two pixel rows, as the half-block picture: terminal cells are about twice as tall as wide.
            var r = 0
            while r < pixelRows {
                var line = ""
                for c in 0..<cols {
                    let i = r * cols + c
                    if labels {
                        let id = labelCells[i]
                        line.append(id == 0 ? " " : labelGlyphs[Int((id - 1) % UInt32(labelGlyphs.count))])
                        continue
                    }
                    var x = cells[i].isFinite ? cells[i] : lo
                    if r + 1 < pixelRows { x = (x + (cells[i + cols].isFinite ? cells[i + cols] : lo)) / 2 }
                    let g = Int(((x - lo) / (hi - lo) * Double(ramp.count - 1)).rounded())
                    line.append(ramp[Swift.max(0, Swift.min(ramp.count - 1, g))])
                }
                while line.last == " " { line.removeLast() }
                out += line + "\n"
                r += 2
            }
            return out
        }
        var r = 0
        while r < pixelRows {
            // Colour codes only where the colour changes: a uniform area costs one byte per cell.
            var line = ""
            var lastTop: (Int, Int, Int)?, lastBottom: (Int, Int, Int)?
            for c in 0..<cols {
                let top = colour(r * cols + c)
                if !same(lastTop, top) { line += code(top, background: false); lastTop = top }
                if r + 1 < pixelRows {
                    let bottom = colour((r + 1) * cols + c)
                    if !same(lastBottom, bottom) { line += code(bottom, background: true); lastBottom = bottom }
                } else if c == 0 {
                    line += "\u{1B}[49m"
                }
                line += "▀"
            }
            out += line + "\u{1B}[0m\n"
            r += 2
        }
        return out
    }

    /// The nearest xterm-256 colour: the grey ramp for greys, the 6×6×6 cube otherwise.
    static func xterm256(_ rgb: (Int, Int, Int)) -> Int {
        let (r, g, b) = rgb
        if r == g && g == b {
            if r < 4 { return 16 }
            if r > 246 { return 231 }
            return 232 + Swift.min(23, Swift.max(0, (r - 8 + 5) / 10))
        }
        func q(_ c: Int) -> Int { c < 48 ? 0 : c < 115 ? 1 : (c - 35) / 40 }
        return 16 + 36 * q(r) + 6 * q(g) + q(b)
    }

    static func histogram(_ h: Histogram, z: Int?, args: Arguments) throws -> String {
        let counts: [UInt64]
        var title = "histogram"
        if z != nil {
            let k = try slice(z, count: h.sliceCount, args: args)
            counts = Array(h.slice(k))
            title += " of slice \(k)"
        } else {
            counts = h.total
            title += " of \(h.sliceCount) slice\(h.sliceCount == 1 ? "" : "s")"
        }
        let width = 64, height = 10, per = Histogram.binCount / width
        var sums = [Double](repeating: 0, count: width)
        for (b, c) in counts.enumerated() { sums[b / per] += Double(c) }
        let total = counts.reduce(0, &+)
        let top = max(sums.max() ?? 1, 1)
        var mode = 0
        for (b, c) in counts.enumerated() where c > counts[mode] { mode = b }
        var mean = 0.0
        for (b, c) in counts.enumerated() { mean += h.binCenter(b) * Double(c) }
        mean = total > 0 ? mean / Double(total) : 0
        var out = "\(title) · \(total) voxels · mode \(formatNumber(h.binCenter(mode))) · mean \(fixed(mean, 1))\n"
        let eighths: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        for row in stride(from: height - 1, through: 0, by: -1) {
            var line = row == height - 1 ? formatCount(top).leftPadded(to: 7) + " ┤" : String(repeating: " ", count: 8) + "│"
            for s in sums {
                let level = s / top * Double(height * 8)
                let filled = Int(level.rounded()) - row * 8
                line.append(eighths[Swift.max(0, Swift.min(8, filled))])
            }
            out += line + "\n"
        }
        out += String(repeating: " ", count: 8) + "└" + String(repeating: "─", count: width) + "\n"
        let left = formatNumber(h.lo), right = formatNumber(h.hi)
        out += String(repeating: " ", count: 9) + left + String(repeating: " ", count: Swift.max(1, width - left.count - right.count)) + right + "\n"
        return out
    }
}
