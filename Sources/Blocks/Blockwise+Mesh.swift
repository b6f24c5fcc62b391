import _Platform
import Foundation
import Kernels
import VolumeIO

// `mesh` of a chunked label map, object by object: the objects' boxes block by block; units of
// whole objects (one object's box in memory at a time per worker) meshed into result files;
// the file assembled from them in id order, streamed (never the whole mesh in memory).
extension Blockwise {
    /// The bytes per box voxel of one object's surface: the labels read (and their cache), and
    /// the vertex table and triangles of a convoluted object, which grow with its surface.
    static let meshObjectCost = 24

    /// `mesh LABELS PATH` for a chunked label map: the same file, byte for byte, as the in-memory
    /// command writes. Returns the objects, triangles and vertices written.
    public static func mesh(_ labels: ChunkedVolume, to path: String) throws -> (objects: Int, triangles: Int, vertices: Int) {
        let lower = path.lowercased()
        guard lower.hasSuffix(".stl") || lower.hasSuffix(".ply") else {
            throw IOError(path, "unknown mesh format: use a .stl or .ply file name")
        }
        let work = WorkStores.folder + "/mesh-" + Digest.hex(of: key(labels))
        if !Execution.resume { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let found = ObjectBoxes.merged(try Execution.run(
            ObjectBoxesTask(grid: grid(for: labels, bytesPerVoxel: Cost.components), input: StoreRef(labels.array), label: "mesh 1/2"),
            job: JobFolder(work + "/boxes")).map(ObjectBoxesTask.boxes))
        let n = found.ids.count
        for (k, b) in found.boxes.enumerated() where b.count * meshObjectCost > loneObjectBudget {
            throw BlockError("mesh: object \(found.ids[k]) spans \(b.z.count)×\(b.y.count)×\(b.x.count) voxels (about "
                + "\(formatBytes(b.count * meshObjectCost)) to mesh, more than the \(formatBytes(loneObjectBudget)) a process may use; "
                + "raise EMSH_MAX_MEMORY, or mesh a crop in memory)")
        }
        var vertexCounts: [Int] = [], triangleCounts: [Int] = []
        let results = work + "/results"
        var units = [0]
        if n > 0 {
            let total = found.boxes.reduce(0) { $0 + $1.count }
            let unitVoxels = max(1, min(BlockPlanner.blockBudget / meshObjectCost, total / (4 * BlockPlanner.inFlight)))
            let planned = objectUnits(cropVoxels: found.boxes.map(\.count), unitVoxels: unitVoxels,
                                     loneVoxels: objectBudget / meshObjectCost)
            units = planned.units
            var list = Partial()
            list["ids"] = found.ids.map { Double($0) }
            list["box"] = found.boxes.flatMap { SplitObjects.numbers($0) }
            let objectsFile = work + "/objects.bin"
            try writeAtomically(list.encoded(), to: objectsFile)
            let unitGrid = BlockGrid(shape: Shape(z: units.count - 1, y: 1, x: 1), block: Shape(z: 1, y: 1, x: 1))
            let parts = try Execution.run(MeshObjectsTask(grid: unitGrid, labels: StoreRef(labels.array), objectsFile: objectsFile,
                                                          units: units, results: results, alone: planned.alone),
                                          job: JobFolder(work + "/objects"))
            vertexCounts = parts.flatMap { $0["vertices"] }.map { Int($0) }
            triangleCounts = parts.flatMap { $0["triangles"] }.map { Int($0) }
            guard vertexCounts.count == n, triangleCounts.count == n else {
                throw BlockError("mesh: \(vertexCounts.count) surfaces for \(n) objects (delete \(work) and run again)")
            }
        }
        let vertices = vertexCounts.reduce(0, +), triangles = triangleCounts.reduce(0, +)
        // Each pass reads the unit files in order and hands every object's surface to the writer.
        try MeshFile.write(vertexCount: vertices, triangleCount: triangles, to: path) { body in
            for u in 0..<(units.count - 1) {
                try Cancellation.check()
                let file = MeshObjectsTask.resultFile(results, unit: u)
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw BlockError("\(file): a unit's surfaces are missing (delete \(work) and run again)")
                }
                var at = 0
                for k in units[u]..<units[u + 1] {
                    let nv = vertexCounts[k], nt = triangleCounts[k]
                    guard at + 12 * nv + 12 * nt <= data.count else { throw BlockError("\(file): truncated (delete \(work) and run again)") }
                    var m = Mesh()
                    m.vertices = [Float](repeating: 0, count: 3 * nv)
                    m.triangles = [UInt32](repeating: 0, count: 3 * nt)
                    m.vertices.withUnsafeMutableBytes { _ = data.copyBytes(to: $0, from: at..<(at + 12 * nv)) }
                    at += 12 * nv
                    m.triangles.withUnsafeMutableBytes { _ = data.copyBytes(to: $0, from: at..<(at + 12 * nt)) }
                    at += 12 * nt
                    m.objectIds = [UInt32](repeating: found.ids[k], count: nt)
                    try body(m)
                }
            }
        }
        if !Execution.resume { try? FileManager.default.removeItem(atPath: work) }
        return (n, triangles, vertices)
    }
}
