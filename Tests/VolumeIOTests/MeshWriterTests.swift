import _Platform
import Testing
import Foundation
@testable import VolumeIO
@testable import Kernels
import TestSupport

private func tinyMesh() -> Mesh {
    var m = Mesh()
    m.vertices = [0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 50]
    m.triangles = [0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]
    m.objectIds = [7, 7, 7, 40000]
    return m
}

private func le32(_ d: [UInt8], _ o: Int) -> UInt32 {
    UInt32(d[o]) | UInt32(d[o + 1]) << 8 | UInt32(d[o + 2]) << 16 | UInt32(d[o + 3]) << 24
}

@Test func stlHasHeaderCountFacetsAndIds() throws {
    let dir = try temporaryFolder("mesh")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/t.stl"
    try MeshFile.write(tinyMesh(), to: path)
    let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(d.count == 84 + 4 * 50)
    #expect(le32(d, 80) == 4)
    // Facet 0: normal of (0,0,0), (0,10,0), (10,0,0) is −z; its second vertex is (0, 10, 0).
    #expect(Float(bitPattern: le32(d, 84 + 8)) == -1)
    #expect(Float(bitPattern: le32(d, 84 + 12 + 12 + 4)) == 10)
    #expect(UInt16(d[84 + 48]) | UInt16(d[84 + 49]) << 8 == 7)
    #expect(UInt16(d[84 + 150 + 48]) | UInt16(d[84 + 150 + 49]) << 8 == UInt16(40000 & 0x7FFF))
    #expect((try? FileManager.default.contentsOfDirectory(atPath: dir))?.count == 1)   // no temporary left
    #expect(throws: IOError.self) { try MeshFile.write(tinyMesh(), to: dir + "/t.obj") }
}

@Test func plyHasHeaderVerticesAndFacesWithIds() throws {
    let dir = try temporaryFolder("ply")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/t.ply"
    try MeshFile.write(tinyMesh(), to: path)
    let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let marker = Array("end_header\n".utf8)
    guard let end = (0..<(d.count - marker.count)).first(where: { Array(d[$0..<($0 + marker.count)]) == marker }) else {
        Issue.record("no end_header"); return
    }
    let header = String(decoding: d[0..<end], as: UTF8.self)
    #expect(header.contains("element vertex 4"))
    #expect(header.contains("element face 4"))
    #expect(header.contains("property uint object_id"))
    let body = end + marker.count
    #expect(d.count == body + 4 * 12 + 4 * 17)
    #expect(Float(bitPattern: le32(d, body + 11 * 4)) == 50)          // vertex 3, z
    let f3 = body + 48 + 3 * 17
    #expect(d[f3] == 3 && le32(d, f3 + 1) == 1 && le32(d, f3 + 13) == 40000)
}
