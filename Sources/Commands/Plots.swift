import _Platform
import Runtime
import Kernels
import VolumeIO

let plotCommands: [Command] = [
    Command(
        name: "plot", topic: .looking,
        summary: "SVG plot: histogram, threshold sweep, table column histogram or scatter",
        help: """
        What is drawn depends on VALUE: a histogram → its total counts as bars (--log: log count axis); an
        `fscore` record → precision, recall and F against the threshold with the chosen level marked (the
        thesis's figure 3.6); a table with --column C → a histogram of that column in --bins bins (e.g.
        eccentricity or angle_deg of a `fit` table); a table with --x A --y B → a scatter plot. The file is
        written atomically; returns its path.
        """,
        positionals: [
            .positional("value", .any, "a histogram, an fscore record or a table"),
            .positional("path", .string, "the .svg file to write"),
        ],
        options: [
            .option("column", .string, "table: the column to histogram"),
            .option("x", .string, "table: the x column of a scatter plot"),
            .option("y", .string, "table: the y column of a scatter plot"),
            .option("bins", .int, "table histogram: number of bins", default: .number(20), in: .between(1, 10000)),
            .flag("log", "histograms: logarithmic count axis"),
        ],
        examples: [
            Example("p = phantom --size [4, 48, 48]; plot (fscore (blur $p.mask --sigma 1) $p.mask) /tmp/emsh-example-sweep.svg",
                    "the threshold sweep", expect: "emsh-example-sweep.svg"),
            Example("p = phantom --size [8, 96, 96]; plot (fit $p.labels) /tmp/emsh-example-ecc.svg --column eccentricity --bins 10",
                    "eccentricity histogram"),
            Example("p = phantom --size [8, 96, 96]; plot (fit $p.labels) /tmp/emsh-example-ab.svg --x a_um --y b_um",
                    "scatter of the semi-axes"),
            Example("p = phantom --size [4, 48, 48]; plot (histogram $p.image) /tmp/emsh-example-hist.svg --log", "a histogram"),
        ],
        run: { args, _ in
            try requireExtension(args, "svg")
            let path = try args.string("path")
            let svg: String
            do {
                switch args["value"] {
                case .histogram(let h)?:
                    svg = Plots.histogram(h, log: args.flag("log"))
                case .record(let r)?:
                    guard case .table(let curve)? = r["curve"] else {
                        throw args.error("value", "only fscore results (records with a curve) can be plotted")
                    }
                    var level: Int?
                    if case .number(let l)? = r["level"], l.isFinite { level = Int(l) }
                    svg = try Plots.thresholdSweep(curve: curve, level: level)
                case .table(let t)?:
                    if args.has("column") {
                        let bins = try args.int("bins")
                        svg = try Plots.columnHistogram(t, column: try args.string("column"), bins: bins, log: args.flag("log"))
                    } else if args.has("x") && args.has("y") {
                        svg = try Plots.scatter(t, x: try args.string("x"), y: try args.string("y"))
                    } else {
                        throw args.failure("plot a table with --column NAME (histogram) or --x A --y B (scatter); columns: \(t.names.joined(separator: ", "))", kind: .argument)
                    }
                default:
                    throw args.error("value", "expected a histogram, an fscore record or a table, got \(args["value"]?.typeName ?? "nothing")", kind: .type)
                }
            } catch let e as IOError {
                throw args.error("value", e.message)
            }
            try Plots.save(svg, to: path)
            return .string(path)
        }
    ),
    Command(
        name: "overlay", topic: .looking,
        summary: "PNG of one slice with a mask or labels drawn over it",
        help: """
        Draws slice --z of IMAGE in grey (u8 as is, other types stretched between the slice's minimum and
        maximum) with OVER on top: a mask in red, labels with every id in its own colour; the inside blended
        with --alpha, the outline opaque. Writes an RGB PNG atomically; returns the path.
        """,
        positionals: [
            .positional("image", .volume, "the image"),
            .positional("over", .volume, "a mask or labels of the same shape"),
            .positional("path", .string, "the .png file to write"),
        ],
        options: [
            .option("z", .int, "the slice (negatives count from the end)", default: .number(0)),
            .option("alpha", .number, "opacity of the inside, 0…1", default: .number(0.4), in: .between(0, 1)),
        ],
        examples: [
            Example("p = phantom --size [4, 64, 64]; overlay $p.image $p.labels /tmp/emsh-example-overlay.png --z 2",
                    "the phantom's labels over its image", expect: "emsh-example-overlay.png"),
        ],
        run: { args, _ in
            let img = try args.volume("image"), over = try args.volume("over")
            guard img.shape == over.shape else { throw args.error("over", "shape \(over.shape) differs from the image's \(img.shape)") }
            let z = try args.slice("z", count: img.shape.z)
            let alpha = try args.number("alpha")
            try requireExtension(args, "png")
            let path = try args.string("path")
            let rgb = try overlay(image: img, overlay: over, z: z, alpha: alpha)
            try PNG.writeRGB8(path: path, width: rgb.width, height: rgb.height, pixels: rgb.pixels)
            return .string(path)
        }
    ),
]
