/// A box of voxels: half-open ranges along z, y and x, in the coordinates of some volume.
/// Block-wise processing cuts a volume into boxes; a box read with a halo is a larger box whose
/// `core` is the part the block owns.
public struct Box: Sendable, Hashable, CustomStringConvertible {
    public var z: Range<Int>
    public var y: Range<Int>
    public var x: Range<Int>

    public init(z: Range<Int>, y: Range<Int>, x: Range<Int>) { self.z = z; self.y = y; self.x = x }

    /// The whole of a volume of this shape.
    public init(_ shape: Shape) { self.init(z: 0..<shape.z, y: 0..<shape.y, x: 0..<shape.x) }

    /// The whole slices `z` of a volume of this shape.
    public init(slices z: Range<Int>, of shape: Shape) { self.init(z: z, y: 0..<shape.y, x: 0..<shape.x) }

    public var shape: Shape { Shape(z: z.count, y: y.count, x: x.count) }
    public var origin: (z: Int, y: Int, x: Int) { (z.lowerBound, y.lowerBound, x.lowerBound) }
    public var count: Int { z.count * y.count * x.count }
    public var isEmpty: Bool { z.isEmpty || y.isEmpty || x.isEmpty }

    /// This box grown by `h` voxels per axis on both sides, clipped to a volume of `shape`.
    public func grown(by h: (z: Int, y: Int, x: Int), within shape: Shape) -> Box {
        Box(z: max(0, z.lowerBound - h.z)..<min(shape.z, z.upperBound + h.z),
            y: max(0, y.lowerBound - h.y)..<min(shape.y, y.upperBound + h.y),
            x: max(0, x.lowerBound - h.x)..<min(shape.x, x.upperBound + h.x))
    }

    /// This box in the coordinates of `outer` (which must contain it).
    public func relative(to outer: Box) -> Box {
        Box(z: (z.lowerBound - outer.z.lowerBound)..<(z.upperBound - outer.z.lowerBound),
            y: (y.lowerBound - outer.y.lowerBound)..<(y.upperBound - outer.y.lowerBound),
            x: (x.lowerBound - outer.x.lowerBound)..<(x.upperBound - outer.x.lowerBound))
    }

    public var description: String {
        "[\(z.lowerBound):\(z.upperBound), \(y.lowerBound):\(y.upperBound), \(x.lowerBound):\(x.upperBound)]"
    }
}
