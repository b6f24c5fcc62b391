#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Blocks
import Kernels
import Learning
import Runtime
import VolumeIO

// `load` and `save`: files in and out, format by extension. (`ls`, `cd`, `pwd` live in Navigation.swift.)

let fileCommands: [Command] = [
    Command(
        name: "load", topic: .files,
        summary: "load a PNG sequence or multipage TIFF as a volume, a table (.csv) or a model (.emodel)",
        help: """
        PATTERN is a glob (`data/*.png`, quoted or not), a folder (all its .png/.tif files) or one file,
        relative to the current folder. PNG files load as a sequence in natural name order (img2 before
        img10): 8- and 16-bit gray, gray+alpha (alpha dropped), RGB converted to gray by luminance (with a
        warning), palette PNGs as their palette indices (label images). TIFF files load page by page
        (several files are concatenated): 8/16/32-bit unsigned or 32-bit float, uncompressed, LZW, deflate
        or PackBits, strips or tiles; ImageJ's spacing (resolution, unit, spacing) is read and converted
        to nm. Every slice must have the same size and type. 32-bit integer TIFFs load as labels.
        --z a:b decodes only slices a..b-1 (negative counts from the end). --mask turns non-zero voxels
        into 1 (a mask); PNG slices that hold only 0 and 1 load as a mask anyway. --spacing [x, y, z] sets the voxel spacing in nm (overriding the file's).
        `load FILE.csv` reads a table (numeric columns where every cell is a number);
        `load FILE.emodel` reads a trained model. `load STORE.zarr` opens an OME-Zarr store (NGFF 0.4 on Zarr v2,
        or 0.5 on Zarr v3; raw, zlib, gzip, zstd or blosc chunks) as a chunked volume: nothing is read until a
        command needs voxels. `histogram`, `peaks`, `normalize`, `threshold`, `infer`, `components`, `split`,
        `fit`, `stats`, `mesh` and `save` run on it block by block, whatever its size; `slices` and `crop` read a
        part into memory; other commands read it whole when it fits under the memory limit. --level N picks a scale of a
        multiscale store; --z a:b reads those slices into memory. A corrupt or truncated file, slices of different
        sizes or a pattern that matches nothing is an error naming the file; sizes are checked against
        the memory limit (EMSH_MAX_MEMORY) before anything is allocated.
        """,
        positionals: [.positional("pattern", .string, "files to load: glob, folder or file (.png, .tif, .csv, .emodel)")],
        options: [
            .flag("mask", "non-zero voxels become 1 (a mask)"),
            .option("spacing", .numbers(3), "voxel spacing [x, y, z] in nm", in: .above(0)),
            .option("z", .range, "only these slices, a:b (b excluded)"),
            .option("level", .int, "OME-Zarr: the scale level (0 = full resolution)", default: .number(0), in: .atLeast(0)),
        ],
        examples: [
            Example("p = phantom --size [4, 64, 64]; save $p.image /tmp/emsh-example-load.zarr --chunks [2, 32, 32]; v = load /tmp/emsh-example-load.zarr; print $v",
                    "an OME-Zarr store loads as a chunked volume: nothing is read until a command needs it", expect: "not loaded"),
            Example("p = phantom --size [4, 32, 32]; save $p.image /tmp/emsh-example-load.tif; v = load /tmp/emsh-example-load.tif --z 1:3; info $v",
                    "save a volume as TIFF and load two of its slices back", expect: "2×32×32"),
            Example("p = phantom --size [4, 32, 32]; save $p.mask /tmp/emsh-example-mask_%03d.png; m = load \"/tmp/emsh-example-mask_*.png\" --mask --spacing [7.5, 7.5, 50]; info $m",
                    "a PNG sequence as a mask, with its spacing in nm", expect: "mask"),
        ],
        run: { args, host in
            let pattern = try args.string("pattern")
            let cwd = currentDirectory() ?? "."
            switch fileExtension(pattern) {
            case "csv":
                let path = try expandPattern(expandHome(pattern), relativeTo: cwd)
                guard path.count == 1 else { throw args.error("pattern", "\(pattern) matches \(path.count) CSV files; load one at a time") }
                return .table(try CSV.read(path: path[0]))
            case "emodel":
                let path = try expandPattern(expandHome(pattern), relativeTo: cwd)
                guard path.count == 1 else { throw args.error("pattern", "\(pattern) matches \(path.count) model files; load one at a time") }
                let bytes = try readBudgetedFile(path[0])
                do {
                    return .object(ModelValue(try Model.decode(bytes, name: path[0])))
                } catch let e as CancelledError {
                    throw e
                } catch {
                    throw args.error("pattern", "\(error)", kind: .io)
                }
            default:
                break
            }
            let expanded = expandHome(pattern)
            if isZarrStore(expanded, cwd: cwd) {
                let path = expanded.hasPrefix("/") ? expanded : cwd + "/" + expanded
                let level = try args.int("level")
                let c = try ChunkedVolume.open(path, level: level)
                for note in c.array.notes { host.warn(note) }
                if args.flag("mask") { throw args.error("mask", "--mask reads a whole volume; give the store to components or fit, which take non-zero voxels as foreground") }
                if args.has("z") {
                    let z = try args.range("z", count: c.shape.z)
                    return .volume(try c.read(Box(slices: z, of: c.shape)))
                }
                return .object(ChunkedValue(c))
            }
            let paths = try expandPattern(expanded, relativeTo: cwd)
            let z = args.has("z") ? try args.indexRange("z") : nil
            var v = try VolumeIO.loadVolume(paths: paths, pattern: pattern, z: z, mask: args.flag("mask"),
                                        warn: { host.warn($0) })
            if args.has("spacing") {
                let s = try args.numbers("spacing")
                v.spacing = Spacing(x: s[0], y: s[1], z: s[2])
            }
            return .volume(v)
        }
    ),
    Command(
        name: "save", topic: .files,
        summary: "save a value to a file, format by extension (.tif, .png, .csv, .emodel, .svg)",
        help: """
        Volumes: `.tif`/`.tiff` writes one multipage TIFF (u8, u16, u32, f32) that Fiji and tifffile open
        with the same spacing (ImageJ tags, unit nm); --compress none|lzw|deflate|packbits and --tile N
        (tiles of N×N instead of strips). `.png` writes one 8-bit (u16: 16-bit) gray PNG per slice: put a
        slice number pattern in the name (`out/slice_%03d.png`); without one a single slice goes to PATH
        and several slices to NAME_000.png, NAME_001.png, … beside it. Labels are written as 16-bit PNG
        when they fit; f32 volumes only as TIFF. Tables: `.csv`. Models: `.emodel`. Histograms: `.csv`
        (bin, value, count over all slices) or `.svg`; `fscore` results: `.svg` (the same plots as `plot`). Every save goes to a temporary name and is
        renamed into place, so a failed save leaves any existing file untouched. Returns the path (a list
        of paths for a PNG sequence).
        `.zarr` writes an OME-Zarr store (NGFF 0.4, Zarr v2) that Python's zarr, ome-zarr, napari and
        neuroglancer read with its spacing: chunks of --chunks [z, y, x] (default 16×256×256, or the chunks of
        the store it copies), compressed with --compress zstd (default), zlib, gzip, blosc or none, and with
        --pyramid N also N−1 downsampled levels (2× in y and x each). Chunked volumes are copied block by
        block; the store is written as PATH.partial and renamed when complete.
        """,
        positionals: [
            .positional("value", .any, "what to save: volume, table, model, histogram or fscore record"),
            .positional("path", .string, "the file to write; its extension picks the format"),
        ],
        options: [
            .option("compress", .choice(saveCompressions), "TIFF: none|lzw|deflate|packbits; Zarr: zstd|zlib|gzip|blosc|none"),
            .option("tile", .int, "TIFF: write N×N tiles instead of strips", in: .between(16, 65536)),
            .option("chunks", .integers(3), "Zarr: chunk shape [z, y, x]", in: .between(1, 65536)),
            .option("pyramid", .int, "Zarr: number of scale levels (1 = full resolution only)", default: .number(1), in: .between(1, 16)),
        ],
        examples: [
            Example("p = phantom --size [4, 32, 32]; save $p.image /tmp/emsh-example-save.tif --compress deflate",
                    "a compressed multipage TIFF", expect: "emsh-example-save.tif"),
            Example("p = phantom --size [3, 32, 32]; save $p.labels /tmp/emsh-example-labels_%03d.png",
                    "one PNG per slice", expect: "emsh-example-labels_002.png"),
        ],
        run: { args, _ in
            guard let given = args["value"] else { throw args.error("value", "nothing to save (nil)") }
            let path = expandHome(try args.string("path"))
            let ext = fileExtension(path)
            if ext == "zarr" {
                return try saveZarr(args, given, path: path)
            }
            // A chunked volume saved as TIFF or PNG is read whole (when it fits).
            var value = given
            if case .object(let o) = given, let c = o as? ChunkedValue { value = .volume(try c.load()) }
            func wrong(_ what: String) -> EmshError {
                args.error("path", ext.isEmpty ? "\(path) has no extension to choose a format by (\(what))"
                                                : "cannot save a \(value.typeName) as .\(ext) (\(what))")
            }
            switch (value, ext) {
            case (.volume(let v), "tif"), (.volume(let v), "tiff"):
                let name = args.has("compress") ? try args.string("compress") : "none"
                guard let compression = TIFFCompression(rawValue: name) else {
                    throw args.error("compress", "TIFF compression is \(TIFFCompression.allCases.map(\.rawValue).joined(separator: ", ")), not \(name)")
                }
                var layout = TIFFLayout.strips
                if args.has("tile") {
                    let n = try args.int("tile")
                    layout = .tiles(n)
                }
                try TIFF.write(v, to: path, options: TIFFWriteOptions(compression: compression, layout: layout))
                return .string(path)
            case (.volume(let v), "png"):
                let written = try VolumeIO.saveVolume(v, path: path)
                return written.count == 1 ? .string(written[0]) : .list(written.map { .string($0) })
            case (.volume, _):
                throw wrong("volumes save as .tif, .png or .zarr")
            case (.table(let t), "csv"):
                try CSV.write(t, to: path)
                return .string(path)
            case (.table, _):
                throw wrong("tables save as .csv")
            case (.histogram(let h), "csv"):
                let total = h.total
                let t = Table([
                    ("bin", .number((0..<Histogram.binCount).map(Double.init))),
                    ("value", .number((0..<Histogram.binCount).map { h.binCenter($0) })),
                    ("count", .number(total.map { Double($0) })),
                ])
                try CSV.write(t, to: path)
                return .string(path)
            case (.histogram(let h), "svg"):
                try writeText(Plots.histogram(h), to: path)
                return .string(path)
            case (.record(let r), "svg"):
                guard case .table(let curve)? = r["curve"] else { throw wrong("only fscore results, which have a curve, plot as .svg") }
                var level: Int?
                if case .number(let l)? = r["level"] { level = Int(l) }
                let svg: String
                do { svg = try Plots.thresholdSweep(curve: curve, level: level) } catch {
                    throw args.error("value", "\(error)")
                }
                try writeText(svg, to: path)
                return .string(path)
            case (.object(let o), "emodel"):
                guard let m = o as? ModelValue else { throw wrong("only models save as .emodel") }
                try AtomicFile.write(bytes: m.model.encode(), to: path)
                return .string(path)
            default:
                throw wrong("volumes: .tif/.png/.zarr, tables: .csv, models: .emodel, histograms: .csv/.svg, fscore results: .svg")
            }
        }
    ),
]

/// The compressions `save --compress` takes: TIFF's and Zarr's.
let saveCompressions = TIFFCompression.allCases.map(\.rawValue)
    + ZarrCompression.allCases.map(\.rawValue).filter { TIFFCompression(rawValue: $0) == nil }

/// The chunk compressions `save PATH.zarr --compress` offers.
enum ZarrCompression: String, CaseIterable {
    case zstd, zlib, gzip, blosc, none

    var codec: ZarrCodec {
        switch self {
        case .zstd: .zstd(level: 3)
        case .zlib: .zlib(level: 5)
        case .gzip: .gzip(level: 5)
        case .blosc: .blosc(cname: "lz4", level: 5, shuffle: 1)
        case .none: .raw
        }
    }
}

/// `save VALUE PATH.zarr`: an in-memory volume written chunk by chunk, a chunked one copied block by block.
private func saveZarr(_ args: Arguments, _ value: Value, path: String) throws -> Value {
    var chunks: Shape?
    if args.has("chunks") {
        let c = try args.integers("chunks")
        chunks = Shape(z: c[0], y: c[1], x: c[2])
    }
    let name = args.has("compress") ? try args.string("compress") : ZarrCompression.zstd.rawValue
    guard let compression = ZarrCompression(rawValue: name) else {
        throw args.error("compress", "Zarr compression is \(ZarrCompression.allCases.map(\.rawValue).joined(separator: ", ")), not \(name)")
    }
    let codec = compression.codec
    let levels = try args.int("pyramid")
    let full = path.hasPrefix("/") ? path : (currentDirectory() ?? ".") + "/" + path
    switch value {
    case .volume(let v):
        try blockCall(args) { try Blockwise.save(v, to: full, chunks: chunks, codec: codec, pyramid: levels) }
    case .object(let o) where o is ChunkedValue:
        guard let c = o as? ChunkedValue else { break }
        try blockCall(args) { try Blockwise.save(c.volume, to: full, chunks: chunks, codec: codec, pyramid: levels) }
    default:
        throw args.error("path", "only volumes save as .zarr")
    }
    return .string(path)
}

/// Whether `path` names an OME-Zarr store or a Zarr array: a `.zarr` name (so a missing store is
/// an error about the store, not "no files match"), or a folder holding Zarr metadata.
func isZarrStore(_ path: String, cwd: String) -> Bool {
    let p = withoutTrailingSlashes(path)
    return fileExtension(p) == "zarr" || ZarrArray.isStore(p.hasPrefix("/") ? p : cwd + "/" + p)
}

/// Lower-cased extension of the last path component ("" when none).
/// Throws unless `path` ends in `.ext` (any case): the files `plot` and `overlay` write have one format.
func requireExtension(_ args: Arguments, _ ext: String) throws {
    let path = try args.string("path")
    guard fileExtension(path) == ext else {
        throw args.error("path", "\(args.command.name) writes .\(ext) files; \(path) does not end in .\(ext)")
    }
}


