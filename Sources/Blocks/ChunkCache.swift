import Kernels
import Synchronization
import VolumeIO

/// Boxes of a store read through its decoded chunks, the most recent kept: the objects of a
/// split come in scan order and lie close together, so their crops share chunks (with --2d a
/// chunk many slices deep serves every object of those slices), and a chunk is decoded about
/// once per pass instead of once per object. Shared by the workers of a process.
final class ChunkCache: Sendable {
    let array: ZarrArray
    private let capacity: Int
    private struct State: ~Copyable {
        var chunks: [Int: Volume] = [:]
        var order: [Int] = []
        var bytes = 0
    }
    private let state = Mutex(State())

    /// Keeps at most about `capacity` bytes of chunks.
    init(_ array: ZarrArray, capacity: Int) { self.array = array; self.capacity = capacity }

    /// A chunk, decoded now or earlier (two workers may both decode a chunk neither had: harmless).
    private func chunk(_ key: Int, _ cb: (z: Range<Int>, y: Range<Int>, x: Range<Int>)) throws -> Volume {
        if let v = state.withLock({ $0.chunks[key] }) { return v }
        let v = try array.read(z: cb.z, y: cb.y, x: cb.x)
        let cap = capacity
        state.withLock { s in
            if s.chunks[key] != nil { return }
            s.chunks[key] = v; s.order.append(key); s.bytes += v.byteCount
            while s.bytes > cap && s.order.count > 1 {
                let old = s.order.removeFirst()
                s.bytes -= s.chunks.removeValue(forKey: old)?.byteCount ?? 0
            }
        }
        return v
    }

    func read(_ box: Box) throws -> Volume {
        let c = array.chunks, g = array.chunkGrid, es = array.type.byteSize
        let out = Volume(zeros: box.shape, type: array.type, spacing: array.spacing, kind: array.kind)
        if box.isEmpty { return out }
        let dst = out.storage.rawPointer, by = box.y.count, bx = box.x.count
        for cz in (box.z.lowerBound / c.z)...((box.z.upperBound - 1) / c.z) {
            for cy in (box.y.lowerBound / c.y)...((box.y.upperBound - 1) / c.y) {
                for cx in (box.x.lowerBound / c.x)...((box.x.upperBound - 1) / c.x) {
                    let key = (cz * g.y + cy) * g.x + cx
                    let cb = array.chunkBox(cz: cz, cy: cy, cx: cx)
                    let chunk = try self.chunk(key, cb)
                    let src = chunk.storage.rawPointer, cyn = cb.y.count, cxn = cb.x.count
                    let zs = max(box.z.lowerBound, cb.z.lowerBound)..<min(box.z.upperBound, cb.z.upperBound)
                    let ys = max(box.y.lowerBound, cb.y.lowerBound)..<min(box.y.upperBound, cb.y.upperBound)
                    let xs = max(box.x.lowerBound, cb.x.lowerBound)..<min(box.x.upperBound, cb.x.upperBound)
                    for z in zs {
                        for y in ys {
                            let s = (((z - cb.z.lowerBound) * cyn + y - cb.y.lowerBound) * cxn + xs.lowerBound - cb.x.lowerBound) * es
                            let d = (((z - box.z.lowerBound) * by + y - box.y.lowerBound) * bx + xs.lowerBound - box.x.lowerBound) * es
                            (dst + d).copyMemory(from: src + s, byteCount: xs.count * es)
                        }
                    }
                }
            }
        }
        return out
    }
}
