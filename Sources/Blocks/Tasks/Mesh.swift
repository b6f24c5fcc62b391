import Foundation
import Kernels

/// `mesh` of a chunked label map, step 2: every object of a unit meshed from a crop of its box
/// (`meshObject`: the same surface, to the byte, as the in-memory command makes); the surfaces
/// of the unit go into its result file (each object's vertices as f32 x, y, z, then its
/// triangles as u32 indices into them, little-endian), their sizes into the partial.
struct MeshObjectsTask: ObjectUnitsTask {
    static let kind = "mesh-objects"
    let grid: BlockGrid
    let labels: StoreRef
    /// A partial: "ids" and "box" (`SplitObjects.numbers`) of every object, by id.
    let objectsFile: String
    let units: [Int]
    let results: String
    let alone: [Int]
    var label: String { "mesh 2/2" }
    static let resultExtension = "mesh"

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try labels.open()
        let list = try Partial(jobFile: objectsFile, missing: "the mesh's object list is missing")
        let ids = list["ids"].map { UInt32($0) }, boxes = list["box"]
        guard boxes.count == 6 * ids.count, units.last ?? 0 <= ids.count else {
            throw BlockError("\(objectsFile): does not match the units (delete the job folder and run again)")
        }
        try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
        let cache = ChunkCache(src, capacity: SplitObjects.cacheBytes)
        return { u in
            var data = Data(), vertices: [Double] = [], triangles: [Double] = []
            for k in units[u]..<units[u + 1] {
                try Cancellation.check()
                let box = SplitObjects.box(boxes, k)
                let m = try meshObject(try cache.read(box), cropBox: box, id: ids[k], box: box)
                m.vertices.withUnsafeBytes { data.append(contentsOf: $0) }   // little-endian, as every host emsh runs on
                m.triangles.withUnsafeBytes { data.append(contentsOf: $0) }
                vertices.append(Double(m.vertexCount))
                triangles.append(Double(m.triangleCount))
            }
            try writeAtomically(data, to: MeshObjectsTask.resultFile(results, unit: u))
            var p = Partial()
            p["vertices"] = vertices
            p["triangles"] = triangles
            return p
        }
    }
}
