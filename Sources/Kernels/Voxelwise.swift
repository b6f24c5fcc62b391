/// A binary voxel-wise operator of the language (`+ - * / %`, `== != < <= > >=`, `and or`).
public enum VoxelOp: String, Sendable, CaseIterable {
    case add, sub, mul, div, mod, eq, ne, lt, le, gt, ge, and, or

    /// The operator as written in emsh.
    public var symbol: String {
        switch self {
        case .add: "+"
        case .sub: "-"
        case .mul: "*"
        case .div: "/"
        case .mod: "%"
        case .eq: "=="
        case .ne: "!="
        case .lt: "<"
        case .le: "<="
        case .gt: ">"
        case .ge: ">="
        case .and: "and"
        case .or: "or"
        }
    }

    /// Arithmetic operators give f32 volumes; comparisons and logic give masks.
    public var isArithmetic: Bool {
        switch self {
        case .add, .sub, .mul, .div, .mod: true
        default: false
        }
    }
}

// Type rules (documented for `help` and README):
// - Arithmetic (+ - * / %) gives an f32 image, computed in single precision, whatever the
//   input types — except mask ⊕ mask with + - *, which stays a mask clamped to 0/1
//   (`$a + $b` is the union, `$a - $b` the difference a ∧ ¬b, `$a * $b` the intersection).
//   Division by zero follows IEEE (±inf, nan for 0/0); `%` is the floored modulo
//   (the result has the sign of the divisor, as in Python): -1 % 3 = 2.
// - Comparisons and `and`/`or`/`not` give masks (u8 0/1, kind .mask); comparisons are exact
//   (computed in double precision, so `$p >= 0.1` compares with the decimal 0.1, and u32
//   labels compare exactly); logic treats any non-zero voxel as true.
// - Unary minus gives f32. The result keeps the shape and spacing of the left volume
//   (the volume, when the number is on the left).

/// `a op b` voxel by voxel for two volumes of the same shape (see the type rules above).
/// Throws `VolumeError.shapeMismatch` naming both shapes when they differ.
public func voxelwise(_ op: VoxelOp, _ a: Volume, _ b: Volume) throws -> Volume {
    guard a.shape == b.shape else { throw VolumeError.shapeMismatch(operation: op.symbol, a.shape, b.shape) }
    let n = a.count
    if op.isArithmetic {
        if a.kind == .mask, b.kind == .mask, case .u8(let pa) = a.storage, case .u8(let pb) = b.storage,
           op == .add || op == .sub || op == .mul {
            let out = try allocateStorage(.u8, count: n, what: "mask \(op.symbol) mask")
            try maskArith(op, pa.pointer, pb.pointer, out.rawPointer.assumingMemoryBound(to: UInt8.self), n)
            return a.with(storage: out, kind: .mask)
        }
        let out = try allocateStorage(.f32, count: n, what: "volume \(op.symbol) volume")
        guard case .f32(let o) = out else { return a }
        try a.storage.visit(BinaryLeft(b: b.storage, op: op, out: UnsafeMutableRawPointer(o.pointer), n: n))
        return a.with(storage: out, kind: .image)
    }
    let out = try allocateStorage(.u8, count: n, what: "volume \(op.symbol) volume")
    guard case .u8(let o) = out else { return a }
    try a.storage.visit(BinaryLeft(b: b.storage, op: op, out: UnsafeMutableRawPointer(o.pointer), n: n))
    return a.with(storage: out, kind: .mask)
}

/// `a op s` (or `s op a` when `scalarOnLeft`) voxel by voxel, the number broadcast to every voxel.
public func voxelwise(_ op: VoxelOp, _ a: Volume, _ s: Double, scalarOnLeft: Bool) throws -> Volume {
    let n = a.count
    let outType: VoxelType = op.isArithmetic ? .f32 : .u8
    let out = try allocateStorage(outType, count: n, what: "volume \(op.symbol) number")
    try a.storage.visit(ScalarVisitor(op: op, s: s, left: scalarOnLeft, out: out.rawPointer, n: n))
    return a.with(storage: out, kind: op.isArithmetic ? .image : .mask)
}

/// `not a`: a mask that is 1 where `a` is zero.
public func voxelwiseNot(_ a: Volume) throws -> Volume {
    let n = a.count
    let out = try allocateStorage(.u8, count: n, what: "not volume")
    try a.storage.visit(UnaryVisitor(negate: false, out: out.rawPointer, n: n))
    return a.with(storage: out, kind: .mask)
}

/// Unary minus: an f32 volume holding -a.
public func negate(_ a: Volume) throws -> Volume {
    let n = a.count
    let out = try allocateStorage(.f32, count: n, what: "-volume")
    try a.storage.visit(UnaryVisitor(negate: true, out: out.rawPointer, n: n))
    return a.with(storage: out, kind: .image)
}

// MARK: - operator types (one specialised loop per type pair and operator)

protocol ArithOp { static func apply(_ a: Float, _ b: Float) -> Float }
protocol CompareOp { static func apply(_ a: Double, _ b: Double) -> Bool }

enum AddOp: ArithOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubOp: ArithOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MulOp: ArithOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivOp: ArithOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
enum ModOp: ArithOp {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float {
        let r = a.truncatingRemainder(dividingBy: b)
        return (r != 0 && (r < 0) != (b < 0)) ? r + b : r
    }
}
enum EqOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a == b } }
enum NeOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a != b } }
enum LtOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a < b } }
enum LeOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a <= b } }
enum GtOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a > b } }
enum GeOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a >= b } }
enum AndOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a != 0 && b != 0 } }
enum OrOp: CompareOp { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Bool { a != 0 || b != 0 } }

// MARK: - volume ⊕ volume

private struct BinaryLeft: StorageVisitor {
    let b: VoxelStorage
    let op: VoxelOp
    let out: UnsafeMutableRawPointer
    let n: Int
    func visit<A: VoxelScalar>(_ pa: UnsafeMutablePointer<A>, count: Int) throws {
        try b.visit(BinaryRight(pa: pa, op: op, out: out, n: n))
    }
}

private struct BinaryRight<A: VoxelScalar>: StorageVisitor {
    let pa: UnsafeMutablePointer<A>
    let op: VoxelOp
    let out: UnsafeMutableRawPointer
    let n: Int
    func visit<B: VoxelScalar>(_ pb: UnsafeMutablePointer<B>, count: Int) throws {
        let f = out.assumingMemoryBound(to: Float.self), m = out.assumingMemoryBound(to: UInt8.self)
        switch op {
        case .add: try arithLoop(AddOp.self, pa, pb, f, n)
        case .sub: try arithLoop(SubOp.self, pa, pb, f, n)
        case .mul: try arithLoop(MulOp.self, pa, pb, f, n)
        case .div: try arithLoop(DivOp.self, pa, pb, f, n)
        case .mod: try arithLoop(ModOp.self, pa, pb, f, n)
        case .eq: try compareLoop(EqOp.self, pa, pb, m, n)
        case .ne: try compareLoop(NeOp.self, pa, pb, m, n)
        case .lt: try compareLoop(LtOp.self, pa, pb, m, n)
        case .le: try compareLoop(LeOp.self, pa, pb, m, n)
        case .gt: try compareLoop(GtOp.self, pa, pb, m, n)
        case .ge: try compareLoop(GeOp.self, pa, pb, m, n)
        case .and: try compareLoop(AndOp.self, pa, pb, m, n)
        case .or: try compareLoop(OrOp.self, pa, pb, m, n)
        }
    }
}

@inline(__always)
private func arithLoop<O: ArithOp, A: VoxelScalar, B: VoxelScalar>(_: O.Type, _ pa: UnsafeMutablePointer<A>,
        _ pb: UnsafeMutablePointer<B>, _ po: UnsafeMutablePointer<Float>, _ n: Int) throws {
    try parallelBlocks(n) { r in
        for i in r { po[i] = O.apply(pa[i].floatValue, pb[i].floatValue) }
    }
}

@inline(__always)
private func compareLoop<O: CompareOp, A: VoxelScalar, B: VoxelScalar>(_: O.Type, _ pa: UnsafeMutablePointer<A>,
        _ pb: UnsafeMutablePointer<B>, _ po: UnsafeMutablePointer<UInt8>, _ n: Int) throws {
    try parallelBlocks(n) { r in
        for i in r { po[i] = O.apply(pa[i].doubleValue, pb[i].doubleValue) ? 1 : 0 }
    }
}

private func maskArith(_ op: VoxelOp, _ pa: UnsafeMutablePointer<UInt8>, _ pb: UnsafeMutablePointer<UInt8>,
                       _ po: UnsafeMutablePointer<UInt8>, _ n: Int) throws {
    // Masks may hold any non-zero value as foreground; normalise to 0/1.
    try parallelBlocks(n) { r in
        switch op {
        case .add: for i in r { po[i] = (pa[i] | pb[i]) != 0 ? 1 : 0 }
        case .sub: for i in r { po[i] = (pa[i] != 0 && pb[i] == 0) ? 1 : 0 }
        default: for i in r { po[i] = (pa[i] != 0 && pb[i] != 0) ? 1 : 0 }
        }
    }
}

// MARK: - volume ⊕ number

private struct ScalarVisitor: StorageVisitor {
    let op: VoxelOp
    let s: Double
    let left: Bool
    let out: UnsafeMutableRawPointer
    let n: Int
    func visit<A: VoxelScalar>(_ pa: UnsafeMutablePointer<A>, count: Int) throws {
        let f = out.assumingMemoryBound(to: Float.self), m = out.assumingMemoryBound(to: UInt8.self)
        switch op {
        case .add: try scalarArith(AddOp.self, pa, s, left, f, n)
        case .sub: try scalarArith(SubOp.self, pa, s, left, f, n)
        case .mul: try scalarArith(MulOp.self, pa, s, left, f, n)
        case .div: try scalarArith(DivOp.self, pa, s, left, f, n)
        case .mod: try scalarArith(ModOp.self, pa, s, left, f, n)
        case .eq: try scalarCompare(EqOp.self, pa, s, left, m, n)
        case .ne: try scalarCompare(NeOp.self, pa, s, left, m, n)
        case .lt: try scalarCompare(LtOp.self, pa, s, left, m, n)
        case .le: try scalarCompare(LeOp.self, pa, s, left, m, n)
        case .gt: try scalarCompare(GtOp.self, pa, s, left, m, n)
        case .ge: try scalarCompare(GeOp.self, pa, s, left, m, n)
        case .and: try scalarCompare(AndOp.self, pa, s, left, m, n)
        case .or: try scalarCompare(OrOp.self, pa, s, left, m, n)
        }
    }
}

@inline(__always)
private func scalarArith<O: ArithOp, A: VoxelScalar>(_: O.Type, _ pa: UnsafeMutablePointer<A>, _ s: Double, _ left: Bool,
                                                      _ po: UnsafeMutablePointer<Float>, _ n: Int) throws {
    let fs = Float(s)
    if A.self == UInt8.self {
        // A 256-entry table: one lookup per voxel.
        let lut = VoxelBuffer<Float>(uninitialized: 256)
        let lp = lut.pointer
        for v in 0..<256 { lp[v] = left ? O.apply(fs, Float(v)) : O.apply(Float(v), fs) }
        let p8 = UnsafeMutableRawPointer(pa).assumingMemoryBound(to: UInt8.self)
        try parallelBlocks(n) { r in for i in r { po[i] = lp[Int(p8[i])] } }
        withExtendedLifetime(lut) {}
    } else if left {
        try parallelBlocks(n) { r in for i in r { po[i] = O.apply(fs, pa[i].floatValue) } }
    } else {
        try parallelBlocks(n) { r in for i in r { po[i] = O.apply(pa[i].floatValue, fs) } }
    }
}

@inline(__always)
private func scalarCompare<O: CompareOp, A: VoxelScalar>(_: O.Type, _ pa: UnsafeMutablePointer<A>, _ s: Double, _ left: Bool,
                                                          _ po: UnsafeMutablePointer<UInt8>, _ n: Int) throws {
    if A.self == UInt8.self {
        let lut = VoxelBuffer<UInt8>(uninitialized: 256)
        let lp = lut.pointer
        for v in 0..<256 { lp[v] = (left ? O.apply(s, Double(v)) : O.apply(Double(v), s)) ? 1 : 0 }
        let p8 = UnsafeMutableRawPointer(pa).assumingMemoryBound(to: UInt8.self)
        try parallelBlocks(n) { r in for i in r { po[i] = lp[Int(p8[i])] } }
        withExtendedLifetime(lut) {}
    } else if left {
        try parallelBlocks(n) { r in for i in r { po[i] = O.apply(s, pa[i].doubleValue) ? 1 : 0 } }
    } else {
        try parallelBlocks(n) { r in for i in r { po[i] = O.apply(pa[i].doubleValue, s) ? 1 : 0 } }
    }
}

// MARK: - unary

private struct UnaryVisitor: StorageVisitor {
    let negate: Bool
    let out: UnsafeMutableRawPointer
    let n: Int
    func visit<A: VoxelScalar>(_ pa: UnsafeMutablePointer<A>, count: Int) throws {
        let n = self.n
        if negate {
            let po = out.assumingMemoryBound(to: Float.self)
            try parallelBlocks(n) { r in for i in r { po[i] = -pa[i].floatValue } }
        } else {
            let po = out.assumingMemoryBound(to: UInt8.self)
            try parallelBlocks(n) { r in for i in r { po[i] = pa[i].isNonZero ? 0 : 1 } }
        }
    }
}
