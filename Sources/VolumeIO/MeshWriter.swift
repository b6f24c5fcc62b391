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
        try write(vertexCount: mesh.vertexCount, triangleCount: mesh.triangleCount, to: path) { body in try body(mesh) }
    }

    /// Writes a mesh that arrives in parts (one object's surface each, its triangles indexing its
    /// own vertices) without holding it whole: `parts` hands every part to its argument in
    /// order, and is called once per pass over the parts (PLY lists all vertices before the
    /// faces: two passes). The counts are the totals of the parts. The same bytes as writing
    /// the parts appended into one mesh.
    public static func write(vertexCount: Int, triangleCount: Int, to path: String,
                             parts: (_ body: (Mesh) throws -> Void) throws -> Void) throws {
        let lower = path.lowercased()
        let stl = lower.hasSuffix(".stl")
        guard stl || lower.hasSuffix(".ply") else { throw IOError(path, "unknown mesh format: use a .stl or .ply file name") }
        if stl { guard triangleCount <= Int(UInt32.max) else { throw IOError(path, "too many triangles for STL") } }
        try AtomicFile.write(to: path) { tmp in
            try withNewFile(tmp, reportAs: path) { fd in
                var out = MeshByteWriter(fd: fd, path: path)
                if stl {
                    try writeSTL(triangleCount: triangleCount, parts: parts, to: &out)
                } else {
                    try writePLY(vertexCount: vertexCount, triangleCount: triangleCount, parts: parts, to: &out)
                }
                try out.flush()
            }
        }
    }

    /// Binary STL.
    private static func writeSTL(triangleCount: Int, parts: ((Mesh) throws -> Void) throws -> Void,
                                 to out: inout MeshByteWriter) throws {
        var header = Array("emsh mesh, nm, attribute = object id mod 32768".utf8)
        header += [UInt8](repeating: 0x20, count: 80 - header.count)
        out.bytes += header
        out.u32(UInt32(triangleCount))
        try parts { mesh in
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
                try out.flushIfFull()
            }
        }
    }

    /// Binary little-endian PLY with an object id per face.
    private static func writePLY(vertexCount: Int, triangleCount: Int, parts: ((Mesh) throws -> Void) throws -> Void,
                                 to out: inout MeshByteWriter) throws {
        let header = """
        ply
        format binary_little_endian 1.0
        comment emsh mesh, coordinates in nm
        element vertex \(vertexCount)
        property float x
        property float y
        property float z
        element face \(triangleCount)
        property list uchar int vertex_indices
        property uint object_id
        end_header

        """
        out.bytes += Array(header.utf8)
        try parts { mesh in
            for x in mesh.vertices {
                out.f32(x)
                try out.flushIfFull()
            }
        }
        var base: UInt32 = 0
        try parts { mesh in
            for t in 0..<mesh.triangleCount {
                out.bytes.append(3)
                for k in 0..<3 { out.u32(mesh.triangles[3 * t + k] + base) }
                out.u32(mesh.objectIds[t])
                try out.flushIfFull()
            }
            base += UInt32(mesh.vertexCount)
        }
    }
}

/// Little-endian byte assembly, written to `fd` a few MiB at a time.
struct MeshByteWriter {
    var bytes: [UInt8] = []
    let fd: Int32
    let path: String
    init(fd: Int32, path: String) { self.fd = fd; self.path = path; bytes.reserveCapacity(Self.chunk + 4096) }
    static let chunk = 4 << 20
    @inline(__always) mutating func flushIfFull() throws { if bytes.count >= Self.chunk { try flush() } }
    mutating func flush() throws {
        guard bytes.withUnsafeBytes({ writeFully(fd, $0) }) else { throw IOError(path, "cannot write: \(errnoMessage())") }
        bytes.removeAll(keepingCapacity: true)
    }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
}

