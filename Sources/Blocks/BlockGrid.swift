import Kernels

/// A volume cut into blocks of equal shape (the last ones along each axis clipped), numbered in
/// z, y, x order. Block shapes are multiples of the store's chunks, so a block writes whole chunks.
public struct BlockGrid: Sendable, Codable, Equatable {
    /// Volume and block shapes as [z, y, x] (Codable).
    public let size: [Int]
    public let block: [Int]

    public init(shape: Shape, block: Shape) {
        size = [shape.z, shape.y, shape.x]
        self.block = [max(1, block.z), max(1, block.y), max(1, block.x)]
    }

    public var shape: Shape { Shape(z: size[0], y: size[1], x: size[2]) }
    public var blockShape: Shape { Shape(z: block[0], y: block[1], x: block[2]) }
    /// Blocks along z, y, x.
    public var counts: [Int] { (0..<3).map { (size[$0] + block[$0] - 1) / block[$0] } }
    public var count: Int { counts.reduce(1, *) }

    public func box(_ i: Int) -> Box {
        let c = counts
        let bx = i % c[2], by = (i / c[2]) % c[1], bz = i / (c[2] * c[1])
        func r(_ k: Int, _ a: Int) -> Range<Int> { (k * block[a])..<min(size[a], (k + 1) * block[a]) }
        return Box(z: r(bz, 0), y: r(by, 1), x: r(bx, 2))
    }

    /// The blocks `box` overlaps, each with the part of `box` inside it (in volume coordinates).
    public func pieces(of box: Box) -> [(block: Int, part: Box)] {
        let c = counts
        var out: [(Int, Box)] = []
        func span(_ r: Range<Int>, _ a: Int) -> ClosedRange<Int>? {
            r.isEmpty ? nil : (r.lowerBound / block[a])...((r.upperBound - 1) / block[a])
        }
        guard let zs = span(box.z, 0), let ys = span(box.y, 1), let xs = span(box.x, 2) else { return [] }
        for bz in zs { for by in ys { for bx in xs {
            let i = (bz * c[1] + by) * c[2] + bx
            let b = self.box(i)
            out.append((i, Box(z: max(b.z.lowerBound, box.z.lowerBound)..<min(b.z.upperBound, box.z.upperBound),
                               y: max(b.y.lowerBound, box.y.lowerBound)..<min(b.y.upperBound, box.y.upperBound),
                               x: max(b.x.lowerBound, box.x.lowerBound)..<min(b.x.upperBound, box.x.upperBound))))
        } } }
        return out
    }
}

/// How big a block may be: the memory a block needs (`bytesPerVoxel` × voxels, for its input,
/// output and scratch) times the blocks in flight stays within the memory ceiling.
public enum BlockPlanner {
    /// Blocks processed at once in one process (`EMSH_BLOCKS_IN_FLIGHT`, default 2: one computes
    /// while the other reads or writes).
    public static var inFlight: Int {
        if let s = getenvString("EMSH_BLOCKS_IN_FLIGHT"), let n = Int(s), n > 0 { return n }
        return 2
    }

    /// The working bytes one block may use: a quarter of the ceiling shared by the blocks in
    /// flight (the rest is for the process, caches and the global passes), at most
    /// `EMSH_BLOCK_BYTES` (default 512 MiB).
    public static var blockBudget: Int {
        let cap = getenvString("EMSH_BLOCK_BYTES").flatMap(parseByteCount) ?? 512 << 20
        return max(1 << 16, min(cap, MemoryBudget.limit / 4 / inFlight))
    }

    /// Slabs of whole slices for per-slice work (infer's tiles): as many slices as fit the budget
    /// (at least one), and the chunks of the result: the input's, or as deep as a slab when a slab
    /// of the input's chunk depth does not fit (so every block still writes whole chunks).
    public static func slabs(volume: Shape, chunks: Shape, bytesPerVoxel: Int) -> (block: Shape, chunks: Shape) {
        let perSlice = max(1, volume.y * volume.x * max(1, bytesPerVoxel))
        let depth = max(1, min(volume.z, blockBudget / perSlice))
        let cz = min(chunks.z, volume.z)
        if depth >= cz {
            return (Shape(z: depth / cz * cz, y: volume.y, x: volume.x), chunks)
        }
        return (Shape(z: depth, y: volume.y, x: volume.x), Shape(z: depth, y: chunks.y, x: chunks.x))
    }

    /// A block shape for a volume stored in `chunks`: whole chunks, grown along x, then y, then z
    /// while the block's working memory fits the budget. `wholeSlices` keeps every block a slab
    /// of complete slices.
    public static func blockShape(volume: Shape, chunks: Shape, bytesPerVoxel: Int, wholeSlices: Bool = false) -> Shape {
        let budget = blockBudget / max(1, bytesPerVoxel)
        var b = Shape(z: min(chunks.z, volume.z), y: min(chunks.y, volume.y), x: min(chunks.x, volume.x))
        if wholeSlices { b.y = volume.y; b.x = volume.x }
        func grow(_ get: (Shape) -> Int, _ set: (inout Shape, Int) -> Void, step: Int, limit: Int) {
            while get(b) < limit {
                var next = b
                set(&next, min(limit, get(b) + step))
                if next.count > budget { return }
                b = next
            }
        }
        if !wholeSlices {
            grow({ $0.x }, { $0.x = $1 }, step: chunks.x, limit: volume.x)
            grow({ $0.y }, { $0.y = $1 }, step: chunks.y, limit: volume.y)
        }
        grow({ $0.z }, { $0.z = $1 }, step: chunks.z, limit: volume.z)
        return b
    }
}
