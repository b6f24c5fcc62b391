import _Platform
import Blocks
import Runtime
import Kernels

let intensityCommands: [Command] = [
    Command(
        name: "histogram", topic: .intensity,
        summary: "256-bin histogram per slice and in total",
        help: """
        u8 volumes (and masks) count grey levels directly. u16, u32 and f32 volumes are binned evenly between
        their minimum and maximum (of the whole volume, or of slice K with --z); NaN is not counted.
        `show` draws it, `plot` writes it as SVG, `peaks` finds its two main peaks.
        """,
        positionals: [.positional("vol", .lazy(.volume), "the volume (a chunked u8 one is counted block by block)")],
        options: [.option("z", .int, "only this slice (negatives count from the end)")],
        examples: [
            Example("p = phantom --size [4, 64, 64]; h = histogram $p.image; print (peaks $h)", "the histogram of the phantom, and its peaks"),
            Example("p = phantom --size [4, 64, 64]; histogram $p.image --z -1", "the last slice only", expect: "histogram"),
        ],
        run: { args, _ in
            if let c = args.chunked("vol") {
                guard args.has("z") else { return .histogram(try blockCall(args) { try Blockwise.histogram(c) }) }
                let k = try args.slice("z", count: c.shape.z)
                let slice = try blockCall(args) { try c.read(Box(slices: k..<(k + 1), of: c.shape)) }
                return .histogram(try histogram(slice))
            }
            let v = try args.volume("vol")
            let z = args.has("z") ? try args.int("z") : nil
            return .histogram(try histogram(v, z: z))
        }
    ),
    Command(
        name: "peaks", topic: .intensity,
        summary: "the two main histogram peaks per slice, averaged (the thesis rule)",
        help: """
        Per slice: smooth the histogram (Gaussian, 3 bins), average away small rises on slopes (a local maximum
        whose gradients 8 bins to either side have a positive product), ignore maxima below 5 % of the tallest;
        with four or more peaks (extracellular space adds a very dark and a very bright one) the middle two of
        the four tallest are taken, with three the two tallest. Each peak is refined by mean shift on the raw
        counts. Returns the average over the slices as a list [p1, p2] (intensities) — the reference for
        `normalize --to`; slices where detection fails are left out of the average (with a warning).
        --per-slice returns a table with columns z, p1, p2, … (nan where detection failed) instead.
        Given a volume, its histogram is taken first. A warning names the slices whose peaks jumped from the
        slice before by more than half the gap between its peaks: a drift moves peaks a little per slice, a
        jump means the histograms have no two clear peaks (a broad plateau) and detection took other bumps.
        """,
        positionals: [.positional("hist", .either([.histogram, .lazy(.volume)]), "a histogram (or a volume)")],
        options: [
            .option("count", .int, "how many peaks", default: .number(2), in: .between(1, 16)),
            .flag("per-slice", "return a table, one row per slice"),
        ],
        examples: [
            Example("p = phantom --size [4, 64, 64]; histogram $p.image | peaks", "the mitochondria and myofibril peaks, near 160 and 190"),
            Example("p = phantom --size [4, 64, 64] --drift 0.1; peaks $p.image --per-slice", "per-slice peaks drift with z", expect: "p2"),
        ],
        run: { args, host in
            let h: Histogram
            switch args["hist"] {
            case .histogram(let x)?: h = x
            case .volume(let v)?: h = try histogram(v)
            default:
                guard let c = args.chunked("hist") else { throw args.error("hist", "expected a histogram or a volume") }
                h = try blockCall(args) { try Blockwise.histogram(c) }
            }
            let count = try args.int("count")
            let p = try peaks(h, count: count)
            if args.flag("per-slice") {
                var cols: [(String, Column)] = [("z", .number((0..<h.sliceCount).map(Double.init)))]
                for k in 0..<count {
                    cols.append(("p\(k + 1)", .number(p.perSlice.map { $0?[k] ?? .nan })))
                }
                return .table(Table(cols))
            }
            let failed = p.failedSlices
            if !failed.isEmpty {
                host.warn("peaks: no \(count) clear peaks in slice\(failed.count > 1 ? "s" : "") \(failed.map(String.init).joined(separator: ", ")); averaged over the others")
            }
            if let w = peakJumpWarning("peaks", p, "their average mixes different peaks") { host.warn(w) }
            return .list(p.average.map { .number($0) })
        }
    ),
    Command(
        name: "normalize", topic: .intensity,
        summary: "per-slice piecewise-linear intensity map sending each slice's peaks to the reference",
        help: """
        For every slice with peaks p1 < p2 (found by the `peaks` rule, or given with --peaks) and the reference
        [P1, P2]: x ≤ p1 → x·P1/p1; p1 < x ≤ p2 → P1 + (x−p1)(P2−P1)/(p2−p1); x > p2 → P2 + (x−p2)(255−P2)/(255−p2).
        --peaks [p1, p2] uses one pair for every slice; --peaks [[p1, p2], ...] one pair per slice, where nil
        means "detect this slice". A slice whose peaks cannot be found is an error naming it (give --peaks).
        u8 stays u8: the map is computed in fixed point (within 1/20 of a level) and rounded with a fixed dither
        pattern so every level keeps its mean (each slice's peaks land on P1, P2 to a small fraction of a level;
        plain rounding would shift a slice by up to half a level) — --no-dither rounds to the nearest level
        instead. u16 and f32 give f32. The thesis's reference was [162.99, 187.51]. When the detected peaks
        jump between neighbouring slices (see `peaks`), a per-slice map would shift those slices against
        their neighbours: it warns, and one pair for every slice (--peaks [p1, p2]) keeps them aligned.
        """,
        positionals: [.positional("vol", .lazy(.volume), "the volume (u8, u16 or f32; a chunked one runs slab by slab)")],
        options: [
            .option("to", .numbers(2), "the reference peaks [P1, P2]", default: .list([.number(162.99), .number(187.51)])),
            .option("peaks", .list, "[p1, p2] for every slice, or one pair (or nil) per slice"),
            .flag("no-dither", "round to the nearest level (u8)"),
        ],
        examples: [
            Example("p = phantom --size [4, 64, 64] --drift 0.1; n = normalize $p.image --to [160, 190]; peaks $n --per-slice",
                    "undo the phantom's drift: every slice's peaks land on 160 and 190", expect: "p1"),
            Example("p = phantom --size [4, 64, 64]; normalize $p.image --to [150, 200] --peaks [160, 190]", "one pair for every slice", expect: "u8"),
        ],
        run: { args, host in
            let chunked = args.chunked("vol")
            let v = chunked == nil ? try args.volume("vol") : nil
            let to = try args.numbers("to")
            guard to.count == 2 else { throw args.error("to", "expected [P1, P2]") }
            let nz = chunked?.shape.z ?? v?.shape.z ?? 0
            var given: [(Double, Double)?] = Array(repeating: nil, count: nz)
            func pair(_ x: Value) -> (Double, Double)? {
                if case .list(let l) = x, l.count == 2, case .number(let a) = l[0], case .number(let b) = l[1] { return (a, b) }
                return nil
            }
            if let pv = args["peaks"] {
                if let one = pair(pv) {
                    given = Array(repeating: one, count: nz)
                } else if case .list(let l) = pv, l.count == nz {
                    for (z, e) in l.enumerated() {
                        if case .null = e { continue }
                        guard let p = pair(e) else { throw args.error("peaks", "entry \(z) is not a pair [p1, p2] or nil") }
                        given[z] = p
                    }
                } else {
                    throw args.error("peaks", "expected [p1, p2] or a list of \(nz) pairs (one per slice)")
                }
            }
            if given.contains(where: { $0 == nil }) {
                let h = try chunked.map { c in try blockCall(args) { try Blockwise.histogram(c) } }
                    ?? histogram(v!)
                let found = try peaks(h, count: 2)
                if let w = peakJumpWarning("normalize", found, "one pair for every slice (--peaks [p1, p2]) keeps them aligned") {
                    host.warn(w)
                }
                var missing: [Int] = []
                for z in 0..<nz where given[z] == nil {
                    if let p = found.perSlice[z] { given[z] = (p[0], p[1]) } else { missing.append(z) }
                }
                if !missing.isEmpty {
                    throw args.failure("no two clear histogram peaks in slice\(missing.count > 1 ? "s" : "") \(missing.map(String.init).joined(separator: ", ")); give them with --peaks")
                }
            }
            var pairs = given.map { $0 ?? (0, 0) }
            if let pv = args["peaks"], let one = pair(pv) { pairs = [one] }  // errors then name no slice
            let dither = !args.flag("no-dither")
            if let c = chunked {
                return .object(ChunkedValue(try blockCall(args) {
                    try Blockwise.normalize(c, to: (to[0], to[1]), peaks: pairs, dither: dither)
                }))
            }
            return .volume(try normalize(v!, to: (to[0], to[1]), peaks: pairs, dither: dither))
        }
    ),
]

/// The warning for slices whose detected peaks jumped (`HistogramPeaks.jumpingSlices`), or nil.
func peakJumpWarning(_ command: String, _ p: HistogramPeaks, _ advice: String) -> String? {
    let jumps = p.jumpingSlices
    guard !jumps.isEmpty else { return nil }
    let shown = jumps.prefix(6).map(String.init).joined(separator: ", ") + (jumps.count > 6 ? ", …" : "")
    return "\(command): the peaks jump at slice\(jumps.count > 1 ? "s" : "") \(shown) (a peak moved by more than half "
        + "the gap between the previous slice's peaks): these histograms may have no two clear peaks "
        + "(`peaks --per-slice` lists them); \(advice)"
}
