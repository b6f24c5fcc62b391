import _Platform
import Kernels

/// Converts decoded chunk elements of a stored dtype into emsh's in-memory type (see ZarrDType for
/// the table). Values that do not fit are errors naming the chunk, never silently wrapped.
enum ZarrConvert {
    /// Converts `count` elements at `src` (any alignment) into `dst` of `dtype.memoryType`.
    static func convert(_ src: UnsafeRawPointer, count: Int, dtype: ZarrDType, into dst: UnsafeMutableRawPointer,
                        file: String) throws {
        let big = dtype.bigEndian
        func bad(_ value: String, _ i: Int) -> IOError {
            IOError(file, "value \(value) (element \(i) of the chunk) does not fit \(dtype.memoryType.rawValue): "
                    + "\(dtype.name) is read as \(dtype.memoryType.rawValue) only when every value fits")
        }
        switch (dtype.base, dtype.size) {
        case (.uint, 1), (.bool, 1):
            dst.copyMemory(from: src, byteCount: count)
        case (.int, 1):
            let s = src.assumingMemoryBound(to: Int8.self), d = dst.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let v = s[i]
                if v < 0 { throw bad("\(v)", i) }
                d[i] = UInt8(v)
            }
        case (.uint, 2):
            let d = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { d[i] = load(src, i, big, as: UInt16.self) }
        case (.int, 2):
            let d = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count {
                let v = Int16(bitPattern: load(src, i, big, as: UInt16.self))
                if v < 0 { throw bad("\(v)", i) }
                d[i] = UInt16(v)
            }
        case (.uint, 4):
            let d = dst.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count { d[i] = load(src, i, big, as: UInt32.self) }
        case (.int, 4):
            let d = dst.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count {
                let v = Int32(bitPattern: load(src, i, big, as: UInt32.self))
                if v < 0 { throw bad("\(v)", i) }
                d[i] = UInt32(v)
            }
        case (.uint, 8):
            let d = dst.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count {
                let v = load(src, i, big, as: UInt64.self)
                if v > UInt64(UInt32.max) { throw bad("\(v)", i) }
                d[i] = UInt32(truncatingIfNeeded: v)
            }
        case (.int, 8):
            let d = dst.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count {
                let v = Int64(bitPattern: load(src, i, big, as: UInt64.self))
                if v < 0 || v > Int64(UInt32.max) { throw bad("\(v)", i) }
                d[i] = UInt32(truncatingIfNeeded: v)
            }
        case (.float, 4):
            let d = dst.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count { d[i] = load(src, i, big, as: UInt32.self) }
        case (.float, 8):
            let d = dst.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = Float(Double(bitPattern: load(src, i, big, as: UInt64.self))) }
        default:
            throw IOError(file, "dtype \(dtype.name) cannot be converted")
        }
    }

    @inline(__always)
    private static func load<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _ i: Int, _ big: Bool, as: T.Type) -> T {
        let v = p.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
        return big ? T(bigEndian: v) : T(littleEndian: v)
    }

    /// The fill value in the in-memory type, as its bit pattern (u8/u16/u32 value or f32 bits).
    static func fillBits(_ fill: Double, type: VoxelType, file: String) throws -> UInt32 {
        func integral(_ max: Double) throws -> UInt32 {
            if fill.isNaN || fill < 0 || fill > max || fill.rounded() != fill {
                throw IOError(file, "fill_value \(fill) does not fit \(type.rawValue)")
            }
            return UInt32(fill)
        }
        switch type {
        case .u8: return try integral(255)
        case .u16: return try integral(65535)
        case .u32: return try integral(4_294_967_295)
        case .f32: return Float(fill).bitPattern
        }
    }

    /// Fills `count` elements of `type` at `dst` with the bit pattern `bits`.
    static func fill(_ dst: UnsafeMutableRawPointer, count: Int, type: VoxelType, bits: UInt32) {
        switch type {
        case .u8: dst.assumingMemoryBound(to: UInt8.self).update(repeating: UInt8(truncatingIfNeeded: bits), count: count)
        case .u16: dst.assumingMemoryBound(to: UInt16.self).update(repeating: UInt16(truncatingIfNeeded: bits), count: count)
        case .u32, .f32: dst.assumingMemoryBound(to: UInt32.self).update(repeating: bits, count: count)
        }
    }

    /// Whether all `count` elements at `p` equal the fill pattern (so the chunk need not be stored).
    static func isAllFill(_ p: UnsafeRawPointer, count: Int, type: VoxelType, bits: UInt32) -> Bool {
        switch type {
        case .u8:
            let s = p.assumingMemoryBound(to: UInt8.self), f = UInt8(truncatingIfNeeded: bits)
            // Eight bytes at a time: masks are mostly empty, and this runs on every chunk written.
            let words = count / 8
            let w = p.assumingMemoryBound(to: UInt64.self)
            let fw = UInt64(f) &* 0x0101_0101_0101_0101
            for i in 0..<words where w[i] != fw { return false }
            for i in (words * 8)..<count where s[i] != f { return false }
            return true
        case .u16:
            let s = p.assumingMemoryBound(to: UInt16.self), f = UInt16(truncatingIfNeeded: bits)
            for i in 0..<count where s[i] != f { return false }
            return true
        case .u32, .f32:
            let s = p.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count where s[i] != bits { return false }
            return true
        }
    }
}
