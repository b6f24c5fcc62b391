import _Platform
import Blocks
import Kernels
import Runtime
import VolumeIO

/// A chunked volume (an OME-Zarr store) as a shell value. It shows what it is without reading
/// voxels; block-wise commands take it as it is, the others get its voxels when they fit.
public struct ChunkedValue: LazyVolume {
    public let volume: ChunkedVolume
    public init(_ volume: ChunkedVolume) { self.volume = volume }

    public var shape: Shape { volume.shape }
    public var voxelType: VoxelType { volume.type }
    public var volumeKind: VolumeKind { volume.kind }
    public var typeName: String { volume.kind == .image ? "volume" : volume.kind.rawValue }

    /// `volume 64×4096×4096 u8 10×10×50 nm · zarr image.zarr · chunks 16×256×256 · 1 GiB on disk, not loaded`
    public var summary: String {
        let sp = volume.spacing
        return "\(typeName) \(shape) \(voxelType.rawValue) \(formatNumber(sp.x))×\(formatNumber(sp.y))×\(formatNumber(sp.z)) nm"
            + " · zarr \(shownPath)\(volume.array.levelCount > 1 ? " level \(volume.array.level) of \(volume.array.levelCount)" : "")"
            + " · chunks \(volume.chunks) · \(formatBytes(volume.byteCount)), not loaded"
    }

    /// The store's path, relative to the current folder when it lies inside it.
    var shownPath: String {
        if let cwd = currentDirectory(), volume.path.hasPrefix(cwd + "/") { return String(volume.path.dropFirst(cwd.count + 1)) }
        return volume.path
    }

    public var details: String {
        var lines = [summary]
        lines.append("store   \(volume.path) (\(volume.array.arrayPath))")
        lines.append("stored  \(volume.array.storedType), \(volume.array.codec)")
        lines.append("grid    \(volume.array.chunkGrid) chunks")
        lines += volume.array.notes
        return lines.joined(separator: "\n")
    }

    public func field(_ name: String) -> Value? {
        switch name {
        case "path": return .string(volume.path)
        case "shape": return .list([shape.z, shape.y, shape.x].map { .number(Double($0)) })
        case "chunks": return .list([volume.chunks.z, volume.chunks.y, volume.chunks.x].map { .number(Double($0)) })
        case "spacing": return .list([volume.spacing.x, volume.spacing.y, volume.spacing.z].map { .number($0) })
        case "type": return .string(voxelType.rawValue)
        case "levels": return .number(Double(volume.array.levelCount))
        default: return nil
        }
    }
    public var fieldNames: [String] { ["path", "shape", "chunks", "spacing", "type", "levels"] }

    public func digest(into d: inout Digest) {
        d.add("zarr"); d.add(volume.path); d.add(UInt64(volume.array.level))
        d.add(UInt64(shape.z)); d.add(UInt64(shape.y)); d.add(UInt64(shape.x)); d.add(voxelType.rawValue)
    }

    public func load() throws -> Volume {
        do {
            return try volume.readAll()
        } catch let e as MemoryLimitError {
            throw EmshError(.value, "\(e.description). This command needs the voxels in memory; "
                + "block by block run: \(blockwiseCommands.joined(separator: ", ")); `slices` or `crop` read a part")
        }
    }
}

/// The commands that take a chunked volume as it is and run block by block.
let blockwiseCommands = ["histogram", "peaks", "normalize", "threshold", "infer", "components", "split", "fit", "stats",
                         "mesh", "save", "slices", "crop", "info", "print"]

extension Arguments {
    /// The chunked volume given for `name`, when it is one (parameters of type `.lazy`).
    func chunked(_ name: String) -> ChunkedVolume? {
        if case .object(let o)? = self[name], let c = o as? ChunkedValue { return c.volume }
        return nil
    }

    /// The volume given for `name`, read into memory when it is chunked.
    func anyVolume(_ name: String) throws -> Volume {
        if case .object(let o)? = self[name], let c = o as? ChunkedValue { return try c.load() }
        return try volume(name)
    }
}

/// Runs block-wise work; its errors become errors of the call.
func blockCall<T>(_ args: Arguments, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as BlockError {
        throw args.failure(dropCommandName(e.description, args))
    } catch let e as SlurmError {
        throw args.failure(e.description)
    }
}

/// Block-wise errors name their step ("split: …"); the user-facing error adds the command's
/// name itself.
private func dropCommandName(_ message: String, _ args: Arguments) -> String {
    let prefix = args.command.name + ": "
    return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
}
