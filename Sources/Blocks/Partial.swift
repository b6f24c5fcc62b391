import Foundation

/// What one block reports back to the global pass (a histogram's counts, the first voxels of
/// its labels, touching pairs, per-object sums): named arrays of numbers, written beside the
/// block's done-marker so that a task on another node hands them over through the file system.
/// Doubles hold every integer below 2⁵³ exactly (voxel indices, label ids, counts).
public struct Partial: Sendable, Equatable {
    public var arrays: [String: [Double]] = [:]
    public init() {}
    public subscript(name: String) -> [Double] {
        get { arrays[name] ?? [] }
        set { arrays[name] = newValue }
    }

    private static let magic: [UInt8] = Array("EMSHPRT1".utf8)

    /// Little-endian: magic, entry count, then per entry the name's length and bytes, the count and the doubles.
    public func encoded() -> Data {
        var d = Data(Partial.magic)
        func put(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        put(UInt64(arrays.count))
        for name in arrays.keys.sorted() {
            let bytes = Array(name.utf8)
            put(UInt64(bytes.count)); d.append(contentsOf: bytes)
            let values = arrays[name] ?? []
            put(UInt64(values.count))
            for v in values { put(v.bitPattern) }
        }
        return d
    }

    /// The partial kept in a file of the job (a block's result, merged moments, a numbering);
    /// `missing` says what is missing when the file is not there.
    init(jobFile path: String, missing: String) throws {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw BlockError("\(path): \(missing) (delete the job folder and run again)")
        }
        try self.init(decoding: d, path: path)
    }

    public init(decoding d: Data, path: String) throws {
        let bytes = [UInt8](d)
        var at = 0
        func fail() -> BlockError { BlockError("\(path): a corrupt block result (delete the job folder and run again)") }
        func get() throws -> UInt64 {
            guard at + 8 <= bytes.count else { throw fail() }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * k) }
            at += 8
            return v
        }
        guard bytes.count >= 8, Array(bytes[0..<8]) == Partial.magic else { throw fail() }
        at = 8
        let n = try get()
        guard n < 1 << 20 else { throw fail() }
        for _ in 0..<n {
            let len = Int(try get())
            guard len < 4096, at + len <= bytes.count else { throw fail() }
            let name = String(decoding: bytes[at..<(at + len)], as: UTF8.self)
            at += len
            let count = Int(try get())
            guard count >= 0, count <= (bytes.count - at) / 8 else { throw fail() }
            var values = [Double](repeating: 0, count: count)
            for i in 0..<count { values[i] = Double(bitPattern: try get()) }
            arrays[name] = values
        }
    }
}

/// An error of block-wise processing; the message is the user-facing text.
public struct BlockError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
