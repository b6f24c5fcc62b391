import _Platform
import Blocks
import Foundation
import Runtime
import Kernels
import VolumeIO

let objectCommands: [Command] = [
    Command(
        name: "components", topic: .objects,
        summary: "connected components of a mask, numbered in scan order",
        help: """
        Labels the connected components of the non-zero voxels: --conn 6 (faces), 18 (and edges) or 26 (and
        corners) in 3D; with --2d every slice on its own, 4-connected for 6 and 8-connected for 18 and 26, with
        ids unique across slices. Ids are u32, 1, 2, … in scan order (z, y, x of each object's first voxel) —
        the same numbering as scipy.ndimage.label. Keeps the spacing.
        """,
        positionals: [.positional("mask", .lazy(.mask), "the mask (a chunked one is labelled block by block)")],
        options: [
            .option("conn", .choice(of: Connectivity.self), "connectivity", default: .string("26")),
            .flag("2d", "label every slice on its own"),
        ],
        examples: [
            Example("p = phantom --size [4, 64, 64]; components $p.mask --conn 6", "the phantom's mitochondria", expect: "labels"),
            Example("p = phantom --size [4, 64, 64]; components $p.mask --2d", "per slice"),
        ],
        run: { args, _ in
            let conn = try args.choice("conn", as: Connectivity.self).rawValue
            if let c = args.chunked("mask") {
                return .object(ChunkedValue(try blockCall(args) { try Blockwise.components(c, connectivity: conn, twoD: args.flag("2d")).labels }))
            }
            return .volume(try components(try args.volume("mask"), connectivity: conn, twoD: args.flag("2d")).labels)
        }
    ),
    Command(
        name: "split", topic: .objects,
        summary: "split touching objects: the contour method, or a distance-transform watershed",
        help: """
        --method contour (the thesis): rough = mask − contour (a contour mask or probability, > 0.5), blurred
        per slice with a Gaussian of --sigma (x voxels); the cores are the mask voxels where the blurred rough
        stays ≥ 0.999, i.e. fully inside over about 3σ. Cores are labelled (in 3D 6-connected, so cores linked
        through z are one object and pieces a 2D split would separate merge) and grow back inside the mask by a
        priority flood on the mask's distance transform; voxels reached by two cores at once stay background.
        Without --contour the cores are those of the mask itself.
        --method distance: seeds are the maxima of the distance transform (anisotropic, in nm) whose dynamic is
        at least --h nm (h-maxima: plateaus and ridges give one seed), grown by the same flood.
        The method defaults to contour when --contour is given and to distance otherwise. --2d splits every
        slice on its own. A mask component no seed reaches keeps one label. Labels in scan order.
        --min-voxels N then drops objects of fewer than N voxels and renumbers the rest.
        A chunked mask is split object by object (each of its 26-connected components, 8 per slice with --2d, in
        a crop of its box: the same labels as in memory), into a chunked label map; an object must fit in memory.
        """,
        positionals: [.positional("mask", .lazy(.mask), "the objects' mask (a chunked one is split object by object)")],
        options: [
            .option("contour", .lazy(.volume), "the contour mask or probability (contour method)"),
            .option("method", .choice(of: SplitMethod.self), "how to find the seeds (contour when --contour is given, distance otherwise)"),
            .option("sigma", .number, "contour method: the blur's sigma in x voxels", default: .number(1), in: .between(0, 100)),
            .option("h", .number, "distance method: minimum dynamic of a seed in nm (default 2 × the x spacing)", in: .atLeast(0)),
            .flag("2d", "split every slice on its own"),
            .option("min-voxels", .int, "drop objects smaller than this many voxels (specks of a prediction)", default: .number(0), in: .atLeast(0)),
        ],
        examples: [
            Example("p = phantom --size [6, 96, 96]; split $p.mask --contour $p.contour", "the thesis's method on the phantom",
                    expect: "labels"),
            Example("p = phantom --size [6, 96, 96]; split $p.mask --method distance", "without a contour"),
            Example("p = phantom --size [6, 96, 96]; split ($p.mask > 0) --min-voxels 500", "objects of at least 500 voxels"),
        ],
        run: { args, _ in
            let hasContour = args.has("contour")
            let method: SplitMethod
            if args.has("method") { method = try args.choice("method", as: SplitMethod.self) }
            else { method = hasContour ? .contour : .distance }
            let sigma = try args.number("sigma")
            var h: Double?
            if args.has("h") {
                h = try args.number("h")
            }
            let minVoxels = try args.int("min-voxels")
            if let cm = args.chunked("mask") {
                // The contour a chunked mask needs as a store: a chunked one as it is, an in-memory one
                // written beside the work (and removed afterwards) so that every worker reads it.
                var contourStore: ChunkedVolume?
                var written: String?
                defer { if let w = written { try? FileManager.default.removeItem(atPath: w) } }
                if hasContour && method == .contour {
                    if let cc = args.chunked("contour") { contourStore = cc } else {
                        let c = try args.volume("contour")
                        guard c.shape == cm.shape else { throw args.error("contour", "the contour is \(c.shape), the mask \(cm.shape)") }
                        let path = WorkStores.folder + "/split-contour-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).zarr"
                        try blockCall(args) { try Blockwise.save(c, to: path, chunks: cm.chunks, codec: .zstd(level: 1)) }
                        written = path
                        contourStore = try blockCall(args) { try ChunkedVolume.open(path) }
                    }
                }
                if let c = contourStore, c.shape != cm.shape {
                    throw args.error("contour", "the contour is \(c.shape), the mask \(cm.shape)")
                }
                return .object(ChunkedValue(try blockCall(args) {
                    try Blockwise.split(cm, contour: contourStore, method: method, sigma: sigma, h: h, twoD: args.flag("2d"),
                                        minVoxels: minVoxels).labels
                }))
            }
            let m = try args.volume("mask")
            // A chunked contour beside an in-memory mask is read whole (it has the mask's size).
            let contour = hasContour ? try args.anyVolume("contour") : nil
            if let c = contour, c.shape != m.shape {
                throw args.error("contour", "the contour is \(c.shape), the mask \(m.shape)")
            }
            let labels = try split(m, contour: contour, method: method, sigma: sigma, h: h, twoD: args.flag("2d")).labels
            return .volume(minVoxels > 1 ? try removeSmallObjects(labels, minVoxels: minVoxels).labels : labels)
        }
    ),
    Command(
        name: "fit", topic: .objects,
        summary: "prolate-spheroid fit of every object: volume, centre, axes, eccentricity, angle",
        help: """
        Per object, in µm (anisotropic spacing honoured): centroid and principal axis from the second moments
        of its voxels (least squares); surface points = centres of its exposed voxel faces; the spheroid
        (x/a)² + (y/b)² + (z/b)² = 1 along the principal axis fitted by least squares. Columns: id, voxels,
        volume_um3 (voxels × voxel volume), cx_um, cy_um, cz_um, a_um, b_um, eccentricity = sqrt(1 − (b/a)²),
        angle_deg (between the principal axis and --axis, the myofibril direction, folded into 0…90) and
        border (1 when the object touches the volume's edge; z faces only for more than one slice).
        --exclude-border drops those.
        """,
        positionals: [.positional("labels", .lazy(.labels), "the label map (a chunked one is summed block by block)")],
        options: [
            .option("axis", .numbers(3), "reference direction [x, y, z]", default: .list([.number(1), .number(0), .number(0)]), in: .finite),
            .flag("exclude-border", "drop objects touching the volume's edge"),
        ],
        examples: [
            Example("p = phantom --size [8, 96, 96]; fit $p.labels", "the phantom's spheroids", expect: "eccentricity"),
            Example("p = phantom --size [8, 96, 96]; fit $p.labels --axis [0, 1, 0] --exclude-border", "against y, interior only"),
        ],
        run: { args, _ in
            let a = try args.numbers("axis")
            guard a.contains(where: { $0 != 0 }) else {
                throw args.error("axis", "the axis must be a non-zero vector")
            }
            if let c = args.chunked("labels") {
                return .table(try blockCall(args) { try Blockwise.fit(c, axis: (a[0], a[1], a[2]), excludeBorder: args.flag("exclude-border")) })
            }
            return .table(try fit(try args.volume("labels"), axis: (a[0], a[1], a[2]), excludeBorder: args.flag("exclude-border")))
        }
    ),
    Command(
        name: "stats", topic: .objects,
        summary: "count, mean volume and volume fraction of objects (all, border, interior)",
        help: """
        From labels: every id is one object, its volume = voxels × voxel volume; the fraction is relative to the
        whole volume. From a `fit` table: its volume_um3 and border columns; the fraction needs --block-um3
        (the block's volume in µm³) and is nil without it. Returns a record: count, mean_volume_um3,
        total_volume_um3, volume_fraction_pct, the same prefixed border_ and interior_, and block_volume_um3.
        """,
        positionals: [.positional("value", .either([.lazy(.labels), .table]), "a label map or a fit table")],
        options: [.option("block-um3", .number, "a table's block volume in µm³ (for the fraction)", in: .above(0))],
        examples: [
            Example("p = phantom --size [8, 96, 96]; stats $p.labels", "the phantom's volume fraction", expect: "volume_fraction_pct"),
            Example("p = phantom --size [8, 96, 96]; stats (fit $p.labels)", "from a table"),
        ],
        run: { args, _ in
            let s: ObjectStats
            switch args["value"] {
            case .volume(let v)?: s = try stats(v)
            case .object?:
                guard let c = args.chunked("value") else { throw args.error("value", "expected labels or a fit table") }
                s = try blockCall(args) { try Blockwise.stats(c) }
            case .table(let t)?:
                var block: Double?
                if args.has("block-um3") {
                    block = try args.number("block-um3")
                }
                s = try stats(t, blockVolumeUm3: block)
            default: throw args.error("value", "expected labels or a fit table")
            }
            func frac(_ g: ObjectGroupStats) -> Value { g.volumeFractionPercent.map { .number($0) } ?? .null }
            var pairs: [(String, Value)] = []
            for (prefix, g) in [("", s.all), ("border_", s.border), ("interior_", s.interior)] {
                pairs += [("\(prefix)count", .number(Double(g.count))), ("\(prefix)mean_volume_um3", .number(g.meanVolumeUm3)),
                          ("\(prefix)total_volume_um3", .number(g.totalVolumeUm3)), ("\(prefix)volume_fraction_pct", frac(g))]
            }
            pairs.append(("block_volume_um3", s.blockVolumeUm3.map { .number($0) } ?? .null))
            return .record(Record(pairs))
        }
    ),
    Command(
        name: "mesh", topic: .objects,
        summary: "write every object's surface as binary STL or PLY",
        help: """
        Marching tetrahedra on each object (closed, watertight surfaces; outward normals), coordinates in nm with
        the spacing applied. PATH's extension picks the format: `.ply` (binary, with an object_id per face) or
        `.stl` (binary; the attribute word holds the id modulo 32768). Written atomically. Returns a record
        with path, objects, triangles and vertices. A chunked label map is meshed object by object, each from
        its box, and the file streamed: the same bytes as in memory (an object's box must fit in memory).
        """,
        positionals: [
            .positional("labels", .lazy(.labels), "the label map (a chunked one is meshed object by object)"),
            .positional("path", .string, "the .stl or .ply file to write"),
        ],
        examples: [
            Example("p = phantom --size [6, 64, 64]; mesh $p.labels /tmp/emsh-example-mesh.ply", "the phantom's surfaces",
                    expect: "triangles"),
        ],
        run: { args, _ in
            let path = try args.string("path")
            let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
            guard ext == "stl" || ext == "ply" else { throw args.error("path", "\(path): use a .stl or .ply file name", kind: .io) }
            let written: (objects: Int, triangles: Int, vertices: Int)
            if let c = args.chunked("labels") {
                written = try blockCall(args) { try Blockwise.mesh(c, to: path) }
            } else {
                let m = try mesh(try args.volume("labels"))
                try MeshFile.write(m, to: path)
                written = (Set(m.objectIds).count, m.triangleCount, m.vertexCount)
            }
            return .record(Record([("path", .string(path)), ("objects", .number(Double(written.objects))),
                                   ("triangles", .number(Double(written.triangles))), ("vertices", .number(Double(written.vertices)))]))
        }
    ),
]
