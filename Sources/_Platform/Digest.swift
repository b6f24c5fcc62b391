/// A 64-bit FNV-1a content digest (eight bytes at a time: the digest of a large volume must stay
/// cheap). Journaled results are compared by it on replay; block jobs name their work stores by it.
public struct Digest: Sendable {
    public private(set) var state: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(bytes: UnsafeRawBufferPointer) {
        var h = state
        let words = bytes.count / 8
        for i in 0..<words {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0x100_0000_01b3
        }
        for i in (words * 8)..<bytes.count { h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01b3 }
        state = h
    }

    /// A string's UTF-8 bytes and then its length (so that "ab" + "c" differs from "a" + "bc").
    public mutating func add(_ s: String) {
        var copy = s
        copy.withUTF8 { add(bytes: UnsafeRawBufferPointer($0)) }
        add(UInt64(s.utf8.count))
    }

    public mutating func add(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { add(bytes: $0) }
    }

    public mutating func add(_ d: Double) { add(d.bitPattern) }

    /// 16 hex digits.
    public var hex: String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The 16 hex digits of the digest of one string.
    public static func hex(of s: String) -> String {
        var d = Digest()
        d.add(s)
        return d.hex
    }
}
