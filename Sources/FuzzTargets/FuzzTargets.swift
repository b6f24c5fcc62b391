import Foundation
import Kernels
import Runtime
import VolumeIO
import Learning
import Language
import Commands

/// The fuzz targets: each takes arbitrary bytes and must either succeed or throw — never crash,
/// hang or trip a sanitizer. The `emsh-fuzz` executable drives them under libFuzzer, and a test
/// replays the committed corpus (Fuzz/corpus/<target>/) through them.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case png, tiff, csv, model, script, zarr

    /// Runs one input. Returns true when it was accepted, false when it was refused with an error.
    @discardableResult
    public func run(_ data: [UInt8]) -> Bool {
        switch self {
        case .png: return withTempFile(data, ext: "png") { _ = try PNG.read(path: $0) }
        case .tiff: return withTempFile(data, ext: "tif") { _ = try TIFF.read(paths: [$0]) }
        case .csv: return withTempFile(data, ext: "csv") { _ = try CSV.read(path: $0) }
        case .model: return attempt { _ = try Model.decode(data, name: "fuzz.emodel") }
        case .script: return ScriptFuzzer.shared.run(data)
        case .zarr: return ZarrFuzzer.shared.run(data)
        }
    }

    private func attempt(_ body: () throws -> Void) -> Bool {
        do { try body(); return true } catch { return false }
    }

    private func withTempFile(_ data: [UInt8], ext: String, _ body: (String) throws -> Void) -> Bool {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(dir)/emsh-fuzz-\(getpid()).\(ext)"
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return false }
        defer { unlink(path) }
        return attempt { try body(path) }
    }
}

/// Runs arbitrary bytes as Zarr metadata: parsed on their own, then as a bare array's `.zarray`,
/// as a v3 `zarr.json`, and as the `.zattrs` of a group whose level 0 is a valid array; each store
/// is opened and one voxel read (no chunk files exist there, so that reading never decodes).
/// Then the same bytes are the one chunk file of small fixed arrays, one per codec and a v3
/// sharded one, each read whole: the decoders and the shard index meet hostile bytes.
nonisolated(unsafe) private var zarrFuzzRoot: String?

final class ZarrFuzzer: @unchecked Sendable {
    static let shared = ZarrFuzzer()
    private let root: String

    private init() {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        root = "\(base)/emsh-fuzz-zarr-\(getpid())"
        // The shared instance is never released: remove its folder when the process exits.
        zarrFuzzRoot = root
        atexit { if let r = zarrFuzzRoot { try? FileManager.default.removeItem(atPath: r) } }
        for d in ["v2", "v3", "group/0"] { try? FileManager.default.createDirectory(atPath: "\(root)/\(d)", withIntermediateDirectories: true) }
        let zarray = #"{"zarr_format": 2, "shape": [2, 3, 4], "chunks": [1, 2, 2], "dtype": "<u2", "compressor": null, "#
            + #""fill_value": 0, "order": "C", "filters": null}"#
        _ = FileManager.default.createFile(atPath: "\(root)/group/0/.zarray", contents: Data(zarray.utf8))
        _ = FileManager.default.createFile(atPath: "\(root)/group/.zgroup", contents: Data(#"{"zarr_format": 2}"#.utf8))
        let compressors = ["raw": "null", "zlib": #"{"id": "zlib", "level": 1}"#, "gzip": #"{"id": "gzip", "level": 1}"#,
                           "zstd": #"{"id": "zstd", "level": 1}"#,
                           "blosc": #"{"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}"#]
        for (name, c) in compressors.sorted(by: { $0.key < $1.key }) {
            let dir = "\(root)/chunk-\(name)"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let meta = #"{"zarr_format": 2, "shape": [2, 8, 16], "chunks": [2, 8, 16], "dtype": "<u2", "compressor": "#
                + c + #", "fill_value": 0, "order": "C", "filters": null}"#
            _ = FileManager.default.createFile(atPath: "\(dir)/.zarray", contents: Data(meta.utf8))
            if let a = try? ZarrArray.open(dir) { chunkArrays.append(a) }
        }
        let dir = "\(root)/chunk-shard"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let sharded = #"{"zarr_format": 3, "node_type": "array", "shape": [4, 16, 32], "data_type": "uint16", "#
            + #""chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 16, 32]}}, "fill_value": 0, "#
            + #""codecs": [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 8, 16], "#
            + #""codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 3}}], "#
            + #""index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}], "#
            + #""index_location": "end"}}]}"#
        _ = FileManager.default.createFile(atPath: "\(dir)/zarr.json", contents: Data(sharded.utf8))
        if let a = try? ZarrArray.open(dir) { chunkArrays.append(a) }
    }

    private var chunkArrays: [ZarrArray] = []

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func run(_ data: [UInt8]) -> Bool {
        var accepted = false
        if (try? ZarrArray.checkMetadata(data)) != nil { accepted = true }
        for (store, file) in [("v2", ".zarray"), ("v3", "zarr.json"), ("group", ".zattrs")] {
            let path = "\(root)/\(store)"
            guard FileManager.default.createFile(atPath: "\(path)/\(file)", contents: Data(data)) else { continue }
            do {
                let a = try ZarrArray.open(path)
                _ = try a.read(z: 0..<min(1, a.shape.z), y: 0..<min(1, a.shape.y), x: 0..<min(1, a.shape.x))
                _ = a.chunkPath(cz: a.chunkGrid.z - 1, cy: 0, cx: 0)
                accepted = true
            } catch {
                _ = "\(error)"
            }
        }
        for a in chunkArrays {
            let chunk = a.chunkPath(cz: 0, cy: 0, cx: 0)
            if let slash = chunk.lastIndex(of: "/") {
                try? FileManager.default.createDirectory(atPath: String(chunk[..<slash]), withIntermediateDirectories: true)
            }
            guard FileManager.default.createFile(atPath: chunk, contents: Data(data)) else { continue }
            if (try? a.readAll()) != nil { accepted = true }
        }
        return accepted
    }
}

/// Runs arbitrary text as an emsh script with only side-effect-free commands available and a
/// watchdog that cancels a run after 200 ms (random programs may loop forever).
final class ScriptFuzzer: @unchecked Sendable {
    static let shared = ScriptFuzzer()
    private let registry: Registry
    private let started = NSLock()
    private var deadline: Date?

    private init() {
        let safe: Set<String> = ["print", "str", "len", "keys"]
        registry = Registry(allCommands.filter { safe.contains($0.name) })
        let thread = Thread { [unowned self] in
            while true {
                Thread.sleep(forTimeInterval: 0.02)
                self.started.lock()
                let d = self.deadline
                self.started.unlock()
                if let d, Date() > d { Cancellation.cancel() }
            }
        }
        thread.start()
    }

    func run(_ data: [UInt8]) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        let interpreter = Interpreter(registry: registry, write: { _ in }, warn: { _ in })
        started.lock(); deadline = Date().addingTimeInterval(0.2); started.unlock()
        defer {
            started.lock(); deadline = nil; started.unlock()
            Cancellation.reset()
        }
        do {
            let program = try interpreter.parse(text, file: "<fuzz>")
            for s in program.statements { _ = try interpreter.execute(s) }
            return true
        } catch {
            _ = interpreter.render(error)
            return false
        }
    }
}
