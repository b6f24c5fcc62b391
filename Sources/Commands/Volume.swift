import _Platform
import Blocks
import Runtime
import Kernels

let volumeCommands: [Command] = [
    Command(
        name: "crop", topic: .volume,
        summary: "the sub-volume within z, y and x ranges",
        help: """
        Keeps the voxels within the given ranges (each `a:b`, end exclusive; a side may be left open and
        negative values count from the end, as in Python). Axes not given are kept whole. The voxel type,
        kind (image, mask, labels) and spacing are kept.
        """,
        positionals: [.positional("vol", .lazy(.volume), "the volume to crop (a chunked one: only the box is read)")],
        options: [
            .option("z", .range, "slices to keep, a:b"),
            .option("y", .range, "rows to keep, a:b"),
            .option("x", .range, "columns to keep, a:b"),
        ],
        examples: [
            Example("p = phantom --size [4, 32, 32]; crop $p.image --y 8:24 --x 0:16", "a 16×16 window of every slice", expect: "4×16×16"),
            Example("p = phantom --size [4, 32, 32]; crop $p.labels --z -2:", "the last two slices of the labels", expect: "2×32×32"),
        ],
        run: { args, _ in
            let chunked = args.chunked("vol")
            let shape = try chunked?.shape ?? args.volume("vol").shape
            func axis(_ name: String, _ n: Int) throws -> Range<Int> { args.has(name) ? try args.range(name, count: n, axis: name) : 0..<n }
            let box = Box(z: try axis("z", shape.z), y: try axis("y", shape.y), x: try axis("x", shape.x))
            if let c = chunked { return .volume(try blockCall(args) { try c.read(box) }) }
            return .volume(try crop(try args.volume("vol"), z: box.z, y: box.y, x: box.x))
        }
    ),
    Command(
        name: "slices", topic: .volume,
        summary: "the slices a:b of a volume (z range; negatives count from the end)",
        help: """
        `slices $v 2:5` keeps slices 2, 3 and 4; `slices $v -3:` the last three; `slices $v 4` slice 4 alone.
        Type, kind and spacing are kept.
        """,
        positionals: [
            .positional("vol", .lazy(.volume), "the volume (a chunked one: only these slices are read)"),
            .positional("range", .range, "the slices to keep, a:b (end exclusive)"),
        ],
        examples: [
            Example("p = phantom --size [6, 32, 32]; slices $p.image 1:3", "slices 1 and 2", expect: "2×32×32"),
            Example("p = phantom --size [6, 32, 32]; slices $p.image -1:", "the last slice", expect: "1×32×32"),
        ],
        run: { args, _ in
            if let c = args.chunked("vol") {
                let r = try args.range("range", count: c.shape.z)
                return .volume(try blockCall(args) { try c.read(Box(slices: r, of: c.shape)) })
            }
            let v = try args.volume("vol")
            return .volume(try crop(v, z: try args.range("range", count: v.shape.z)))
        }
    ),
    Command(
        name: "blur", topic: .volume,
        summary: "Gaussian blur (separable; anisotropic spacing honoured in 3D)",
        help: """
        Blurs with a Gaussian of standard deviation SIGMA in voxels along x; y and z use the same width in
        nm (sigma·spacing.x/spacing.y and sigma·spacing.x/spacing.z voxels), so at 10×10×50 nm `--sigma 2`
        is 20 nm in every direction (0.4 slices in z). With --2d each slice is blurred on its own.
        Borders reflect (d c b a | a b c d, as scipy's "reflect"), the kernel is truncated at 4 sigma, and an
        axis whose sigma is below 0.1 voxel is left alone. The result is f32 (also for masks) and keeps the spacing.
        """,
        positionals: [.positional("vol", .volume, "the volume to blur")],
        options: [
            .option("sigma", .number, "standard deviation in x voxels", default: .number(1), in: .above(0)),
            .flag("2d", "blur each slice on its own"),
        ],
        examples: [
            Example("p = phantom --size [4, 32, 32]; blur $p.image --sigma 2", "blur the phantom's image", expect: "f32"),
            Example("p = phantom --size [4, 32, 32]; blur $p.mask --sigma 1.5", "a soft mask", expect: "f32"),
        ],
        run: { args, _ in
            let v = try args.volume("vol")
            let sigma = try args.number("sigma")
            return .volume(try blur(v, sigma: sigma, twoD: args.flag("2d")))
        }
    ),
    Command(
        name: "contour", topic: .volume,
        summary: "the outline of a mask or of each labelled object (training target of a contour model)",
        help: """
        A foreground voxel is on the contour when, within WIDTH voxels in its slice (Euclidean distance, so
        width 1 is the 4-neighbourhood), there is background or a voxel of another label. Given labels, each
        object is outlined, including where two objects touch; given a mask, the mask's outline. The image
        border does not count as background. The result is a mask with the input's spacing;
        `$mask - $contour` leaves the cores (the first step of `split`).
        """,
        positionals: [.positional("mask", .volume, "a mask or a label map (integer volume)")],
        options: [.option("width", .int, "outline width in voxels (1…64)", default: .number(2), in: .between(1, 64))],
        examples: [
            Example("p = phantom --size [4, 64, 64]; c = contour $p.labels --width 2; print (info $c)", "outline the phantom's mitochondria"),
            Example("p = phantom --size [4, 64, 64]; contour $p.mask --width 1", "the mask's 1-voxel outline", expect: "mask"),
        ],
        run: { args, _ in
            let v = try args.volume("mask")
            guard v.type != .f32 else {
                throw args.error("mask", "needs a mask or labels, got an f32 volume (threshold it first: contour ($p > 0.5))")
            }
            let w = try args.int("width")
            return .volume(try contour(v, width: w))
        }
    ),
    Command(
        name: "invert", topic: .volume,
        summary: "inverted intensities (u8 255−x, u16 65535−x, mask 1−x, probabilities 1−x)",
        help: """
        u8 → 255 − x and u16 → 65535 − x; a mask → 1 − x (the background); f32 → 1 − x when every value lies
        in [0, 1] (probabilities), otherwise max + min − x (the range is kept). Label maps are refused
        (`not $labels` gives their background). Type, kind and spacing are kept.
        """,
        positionals: [.positional("vol", .volume, "the volume to invert")],
        examples: [
            Example("p = phantom --size [4, 32, 32]; invert $p.image", "dark mitochondria become bright", expect: "u8"),
            Example("p = phantom --size [4, 32, 32]; invert $p.mask", "the background as a mask", expect: "mask"),
        ],
        run: { args, _ in
            let v = try args.volume("vol")
            return .volume(try invert(v))
        }
    ),
    Command(
        name: "stack", topic: .volume,
        summary: "volumes concatenated along z",
        help: """
        Stacks the volumes of the list in order. They must have the same slice size (y×x) and voxel type;
        the spacing is the first's. The kind is kept when all agree (all masks → a mask).
        """,
        positionals: [.positional("volumes", .listOf(.volume), "the volumes, [v1, v2, ...]")],
        examples: [
            Example("p = phantom --size [4, 32, 32]; stack [$p.image, (slices $p.image 0:2)]", "six slices", expect: "6×32×32"),
        ],
        run: { args, _ in
            let vols: [Volume] = try args.list("volumes").map { v in
                guard case .volume(let vol) = v else { throw args.error("volumes", "expected a list of volumes, got a \(v.typeName)") }
                return vol
            }
            return .volume(try stack(vols))
        }
    ),
]
