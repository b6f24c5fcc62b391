/// The one error type of every kernel (voxel-wise operators, crop, stack, blur, contour, histogram,
/// normalize, phantom, fscore, metrics, components, distance, split, fit, stats, mesh, overlay).
/// The description is the user-facing message; Runtime's `userError` maps it for the user.
public enum VolumeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Two volumes that must have the same shape do not.
    case shapeMismatch(operation: String, Shape, Shape)
    /// A voxel type the operation does not accept.
    case unsupportedType(operation: String, VoxelType)
    /// An argument out of its range (the message says which and why).
    case invalidArgument(operation: String, String)

    public var description: String { "\(operation): \(message)" }

    /// The operation (command or operator) the error belongs to.
    public var operation: String {
        switch self {
        case .shapeMismatch(let op, _, _), .unsupportedType(let op, _), .invalidArgument(let op, _): op
        }
    }

    /// The message without the operation's name (for callers that prefix it themselves).
    public var message: String {
        switch self {
        case .shapeMismatch(_, let a, let b): "volumes differ in shape: \(a) and \(b)"
        case .unsupportedType(_, let t): "voxel type \(t.rawValue) is not supported"
        case .invalidArgument(_, let m): m
        }
    }
}
