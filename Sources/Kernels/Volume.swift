/// The voxel types a volume can hold.
public enum VoxelType: String, Sendable, CaseIterable {
    case u8, u16, u32, f32

    public var byteSize: Int {
        switch self {
        case .u8: 1
        case .u16: 2
        case .u32, .f32: 4
        }
    }
}

/// What a volume means: plain intensities, a 0/1 mask, or an instance label map.
public enum VolumeKind: String, Sendable {
    case image, mask, labels
}

/// Voxel spacing in nanometres (x, y, z).
public struct Spacing: Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double
    public var z: Double
    public init(x: Double, y: Double, z: Double) { self.x = x; self.y = y; self.z = z }
    public static let unit = Spacing(x: 1, y: 1, z: 1)
}

/// Dimensions in (plane, row, column) = (z, y, x) order.
public struct Shape: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var z: Int
    public var y: Int
    public var x: Int
    public init(z: Int, y: Int, x: Int) { self.z = z; self.y = y; self.x = x }
    public var count: Int { z * y * x }
    public var sliceCount: Int { y * x }
    public var description: String { "\(z)×\(y)×\(x)" }
}

/// Contiguous, manually allocated voxel storage. Kernels read and write it through
/// unsafe pointers; values are treated as immutable once a volume is handed out.
///
/// Buffers of `LargeAllocation.threshold` bytes or more are mapped straight from the kernel,
/// 2 MiB-aligned and marked for transparent huge pages: first touch then costs one fault per
/// 2 MiB instead of one per 4 KiB (a fresh 20 MiB buffer: about 2.5 ms of kernel time instead
/// of 12 ms), zero-filled buffers need no memset (fresh mappings are zero), and uninitialised ones
/// reuse a recently freed mapping of the same size when there is one (no clearing at all).
public final class VoxelBuffer<Element>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Element>
    public let count: Int
    /// Length of the mapping behind `pointer`, or 0 when it came from malloc.
    private let mappedBytes: Int

    /// Allocates `count` elements, zero-filled.
    public init(zeroed count: Int) {
        self.count = count
        if let m = LargeAllocation.map(count: max(count, 1), stride: MemoryLayout<Element>.stride) {
            pointer = m.pointer.bindMemory(to: Element.self, capacity: max(count, 1))
            mappedBytes = m.length
        } else {
            pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
            mappedBytes = 0
            UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0,
                                                               count: max(count, 1) * MemoryLayout<Element>.stride)
        }
    }

    /// Allocates `count` elements without initialising them (the caller fills every element).
    public init(uninitialized count: Int) {
        self.count = count
        if let m = LargeAllocation.map(count: max(count, 1), stride: MemoryLayout<Element>.stride, zeroed: false) {
            pointer = m.pointer.bindMemory(to: Element.self, capacity: max(count, 1))
            mappedBytes = m.length
        } else {
            pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
            mappedBytes = 0
        }
    }

    public convenience init(_ array: [Element]) {
        self.init(uninitialized: array.count)
        array.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: array.count) }
        }
    }

    deinit {
        if mappedBytes > 0 { LargeAllocation.unmap(UnsafeMutableRawPointer(pointer), length: mappedBytes) } else { pointer.deallocate() }
    }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [Element] { Array(buffer) }
}

/// The voxels of a volume, tagged by type.
public enum VoxelStorage: Sendable {
    case u8(VoxelBuffer<UInt8>)
    case u16(VoxelBuffer<UInt16>)
    case u32(VoxelBuffer<UInt32>)
    case f32(VoxelBuffer<Float>)

    public var type: VoxelType {
        switch self {
        case .u8: .u8
        case .u16: .u16
        case .u32: .u32
        case .f32: .f32
        }
    }

    public var count: Int {
        switch self {
        case .u8(let b): b.count
        case .u16(let b): b.count
        case .u32(let b): b.count
        case .f32(let b): b.count
        }
    }

    public var rawPointer: UnsafeMutableRawPointer {
        switch self {
        case .u8(let b): UnsafeMutableRawPointer(b.pointer)
        case .u16(let b): UnsafeMutableRawPointer(b.pointer)
        case .u32(let b): UnsafeMutableRawPointer(b.pointer)
        case .f32(let b): UnsafeMutableRawPointer(b.pointer)
        }
    }

    public static func zeroed(_ type: VoxelType, count: Int) -> VoxelStorage {
        switch type {
        case .u8: .u8(VoxelBuffer(zeroed: count))
        case .u16: .u16(VoxelBuffer(zeroed: count))
        case .u32: .u32(VoxelBuffer(zeroed: count))
        case .f32: .f32(VoxelBuffer(zeroed: count))
        }
    }
}

/// A z×y×x voxel volume with its spacing. Masks are u8 0/1 with kind `.mask`;
/// label maps are u32 with kind `.labels` (0 = background).
public struct Volume: Sendable {
    public var shape: Shape
    public var spacing: Spacing
    public var kind: VolumeKind
    public var storage: VoxelStorage

    public init(shape: Shape, spacing: Spacing = .unit, kind: VolumeKind = .image, storage: VoxelStorage) {
        precondition(storage.count == shape.count, "storage does not match shape")
        self.shape = shape
        self.spacing = spacing
        self.kind = kind
        self.storage = storage
    }

    /// A zero-filled volume.
    public init(zeros shape: Shape, type: VoxelType, spacing: Spacing = .unit, kind: VolumeKind = .image) {
        self.init(shape: shape, spacing: spacing, kind: kind, storage: .zeroed(type, count: shape.count))
    }

    public var type: VoxelType { storage.type }
    public var count: Int { shape.count }
    public var byteCount: Int { count * type.byteSize }

    public var u8: VoxelBuffer<UInt8>? { if case .u8(let b) = storage { b } else { nil } }
    public var u16: VoxelBuffer<UInt16>? { if case .u16(let b) = storage { b } else { nil } }
    public var u32: VoxelBuffer<UInt32>? { if case .u32(let b) = storage { b } else { nil } }
    public var f32: VoxelBuffer<Float>? { if case .f32(let b) = storage { b } else { nil } }

    /// Voxel value at (z, y, x) as a Double (slow path: tests and printing only).
    public func value(z: Int, y: Int, x: Int) -> Double {
        let i = (z * shape.y + y) * shape.x + x
        switch storage {
        case .u8(let b): return Double(b.pointer[i])
        case .u16(let b): return Double(b.pointer[i])
        case .u32(let b): return Double(b.pointer[i])
        case .f32(let b): return Double(b.pointer[i])
        }
    }

    /// Same shape, spacing and kind, with new storage.
    public func with(storage: VoxelStorage, kind: VolumeKind? = nil) -> Volume {
        Volume(shape: shape, spacing: spacing, kind: kind ?? self.kind, storage: storage)
    }
}
