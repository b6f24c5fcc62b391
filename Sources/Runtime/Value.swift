import _Platform
import Kernels

/// A value of the emsh language.
public enum Value: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([Value])
    case record(Record)
    /// Images, masks (kind .mask) and label maps (kind .labels). Indirect, like `object`: their payloads are
    /// large structs, and every Value would otherwise be as wide as the widest case (65 bytes instead of 17); histograms likewise.
    indirect case volume(Volume)
    indirect case histogram(Histogram)
    case table(Table)
    /// Values whose type lives in a lower module (models): see `OpaqueValue`.
    indirect case object(any OpaqueValue)

    /// The name users see in messages: number, string, bool, nil, list, record, volume, mask, labels, histogram, table, model.
    public var typeName: String {
        switch self {
        case .null: "nil"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .list: "list"
        case .record: "record"
        case .volume(let v):
            switch v.kind {
            case .image: "volume"
            case .mask: "mask"
            case .labels: "labels"
            }
        case .histogram: "histogram"
        case .table: "table"
        case .object(let o): o.typeName
        }
    }

    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .number(let n): n != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        default: true
        }
    }
}

/// A value type defined outside the runtime (a trained model). It shows itself, digests itself
/// and may expose fields for `$m.field`.
public protocol OpaqueValue: Sendable {
    var typeName: String { get }
    /// One line for `print`.
    var summary: String { get }
    /// Several lines for `show` / `info`.
    var details: String { get }
    /// Fields reachable as `$value.name`.
    func field(_ name: String) -> Value?
    var fieldNames: [String] { get }
    /// Feeds a content digest (journal verification).
    func digest(into d: inout Digest)
}

/// An ordered record: `{key: value, ...}`.
public struct Record: Sendable {
    public private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    public init() {}
    public init(_ pairs: [(String, Value)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public var count: Int { keys.count }
    public var pairs: [(key: String, value: Value)] { keys.map { ($0, storage[$0] ?? .null) } }
}

/// A volume whose voxels stay on disk (an OME-Zarr store) until a command reads them: block-wise
/// commands take it as it is (parameters of type `.lazy`), every other command gets its voxels in
/// memory when they fit under the memory ceiling.
public protocol LazyVolume: OpaqueValue {
    var shape: Shape { get }
    var voxelType: VoxelType { get }
    var volumeKind: VolumeKind { get }
    /// The voxels in memory; refused with a clear message when they do not fit.
    func load() throws -> Volume
}
