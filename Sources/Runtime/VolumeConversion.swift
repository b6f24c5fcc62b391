import Kernels

/// The conversions argument coercion applies to volumes (the loops are the kernels').
public enum VolumeConversion {
    /// Non-zero → 1, kind .mask (a u8 mask is returned unchanged).
    public static func toMask(_ v: Volume) throws -> Volume {
        if v.kind == .mask, v.type == .u8 { return v }
        return try binarize(v)
    }

    /// Integer volumes → u32 labels; nil for f32.
    public static func toLabels(_ v: Volume) throws -> Volume? {
        switch v.type {
        case .u32: return v.kind == .labels ? v : v.with(storage: v.storage, kind: .labels)
        case .u8, .u16: return try convert(v, to: .u32)
        case .f32: return nil
        }
    }

    /// Any volume as f32 (values unchanged), kind .image.
    public static func toF32(_ v: Volume) throws -> Volume {
        try convert(v, to: .f32)
    }
}
