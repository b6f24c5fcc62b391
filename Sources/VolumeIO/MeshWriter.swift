#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform
import Kernels

/// Binary STL and PLY writers for object surfaces (`mesh LABELS PATH`), written atomically.
/// Coordinates are in nm (the volume's spacing applied).
/// - STL (binary): one facet per triangle with its unit normal; the 16-bit attribute word holds
///   the object id modulo 32768 (bit 15, which some programs read as a colour flag, stays 0).
/// - PLY (binary little-endian): `vertex` x, y, z as float; `face` with `vertex_indices`
///   (uchar count, int indices) and `object_id` (uint) per face.
public enum MeshFile {
    /// Writes `mesh` as STL or PLY, chosen by the extension of `path` (`.stl` / `.ply`).
    public static func write(_ mesh: Mesh, to path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".stl") { try writeSTL(mesh, to: path) }
        else if lower.hasSuffix(".ply") { try writePLY(mesh, to: path) }
        else { throw IOError(path, "unknown mesh format: use a .stl or .ply file name") }
    }

    /// Binary STL.
    public static func writeSTL(_ mesh: Mesh, to path: String) throws {
        guard mesh.triangleCount <= Int(UInt32.max) else { throw IOError(path, "too many triangles for STL") }
        try checkMemory(MemoryBudget.bytes([mesh.triangleCount, 50], elementSize: 1).map { $0 + 84 },
                        what: "the STL file", path: path)
        var out = MeshByteWriter(capacity: 84 + 50 * mesh.triangleCount)
        var header = Array("emsh mesh, nm, attribute = object id mod 32768".utf8)
        header += [UInt8](repeating: 0x20, count: 80 - header.count)
        out.bytes += header
        out.u32(UInt32(mesh.triangleCount))
        let v = mesh.vertices
        for t in 0..<mesh.triangleCount {
            let a = Int(mesh.triangles[3 * t]) * 3, b = Int(mesh.triangles[3 * t + 1]) * 3, c = Int(mesh.triangles[3 * t + 2]) * 3
            let u = (v[b] - v[a], v[b + 1] - v[a + 1], v[b + 2] - v[a + 2])
            let w = (v[c] - v[a], v[c + 1] - v[a + 1], v[c + 2] - v[a + 2])
            var n = (u.1 * w.2 - u.2 * w.1, u.2 * w.0 - u.0 * w.2, u.0 * w.1 - u.1 * w.0)
            let len = (n.0 * n.0 + n.1 * n.1 + n.2 * n.2).squareRoot()
            if len > 0 { n = (n.0 / len, n.1 / len, n.2 / len) }
            out.f32(n.0); out.f32(n.1); out.f32(n.2)
            for k in [a, b, c] { out.f32(v[k]); out.f32(v[k + 1]); out.f32(v[k + 2]) }
            out.u16(UInt16(mesh.objectIds[t] & 0x7FFF))
        }
        try AtomicFile.write(bytes: out.bytes, to: path)
    }

    /// Binary little-endian PLY with an object id per face.
    public static func writePLY(_ mesh: Mesh, to path: String) throws {
        try checkMemory(MemoryBudget.bytes([mesh.triangleCount, 17], elementSize: 1).map { $0 + 12 * mesh.vertexCount + 512 },
                        what: "the PLY file", path: path)
        let header = """
        ply
        format binary_little_endian 1.0
        comment emsh mesh, coordinates in nm
        element vertex \(mesh.vertexCount)
        property float x
        property float y
        property float z
        element face \(mesh.triangleCount)
        property list uchar int vertex_indices
        property uint object_id
        end_header

        """
        var out = MeshByteWriter(capacity: header.utf8.count + 12 * mesh.vertexCount + 17 * mesh.triangleCount)
        out.bytes += Array(header.utf8)
        for x in mesh.vertices { out.f32(x) }
        for t in 0..<mesh.triangleCount {
            out.bytes.append(3)
            for k in 0..<3 { out.u32(mesh.triangles[3 * t + k]) }
            out.u32(mesh.objectIds[t])
        }
        try AtomicFile.write(bytes: out.bytes, to: path)
    }
}

/// Little-endian byte assembly.
struct MeshByteWriter {
    var bytes: [UInt8] = []
    init(capacity: Int) { bytes.reserveCapacity(capacity) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
}

