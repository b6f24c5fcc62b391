import _Platform
import Kernels

/// Loads a sequence of PNG files as one volume, slice i = paths[z.lowerBound + i].
///
/// Every slice must have the same size and sample type (8/16-bit; palette or not), else the
/// error names the first offending file. Files are decoded in parallel straight into one
/// contiguous u8 or u16 volume; the size is checked against `MemoryBudget` before allocating.
/// `warn` receives one message if colour slices were converted to gray or alpha was dropped.
public func loadPNGStack(paths: [String], z: IndexRange? = nil, warn: ((String) -> Void)? = nil) throws -> Volume {
    guard let firstPath = paths.first else { throw IOError("", "no PNG files to load") }
    let range = try resolveZ(z, count: paths.count, path: firstPath)
    let chosen = Array(paths[range])
    let first = try PNG.info(path: chosen[0])
    let n = chosen.count
    try checkMemory(MemoryBudget.bytes([n, first.height, first.width], elementSize: first.depth / 8),
                    what: "\(n) slices of \(first.width)×\(first.height) \(first.depth)-bit", path: chosen[0])
    let shape = Shape(z: n, y: first.height, x: first.width)
    let storage: VoxelStorage = first.depth == 16
        ? .u16(VoxelBuffer(uninitialized: shape.count)) : .u8(VoxelBuffer(uninitialized: shape.count))
    let base = storage.rawPointer
    let sliceBytes = first.sliceBytes

    let results = UnsafeMutableBufferPointer<SliceOutcome>.allocate(capacity: n)
    results.initialize(repeating: .pending)
    defer {
        results.deinitialize()
        results.deallocate()
    }
    let progress = Progress(label: "load", total: n)
    defer { progress.finish() }
    parallelFor(n) { i in
        if Cancellation.isCancelled { results[i] = .cancelled; return }
        do {
            let info = try PNG.decode(path: chosen[i], into: base + i * sliceBytes, expected: first)
            results[i] = .done(converted: info.convertedRGB, droppedAlpha: info.droppedAlpha)
        } catch {
            results[i] = .failed(error)
        }
        progress.advance()
    }
    var converted = 0, dropped = 0
    for i in 0..<n {
        switch results[i] {
        case .failed(let e): throw e
        case .cancelled, .pending: throw CancelledError()
        case .done(let c, let d):
            if c { converted += 1 }
            if d { dropped += 1 }
        }
    }
    if let warn {
        if converted > 0 { warn("\(converted) of \(n) PNG slices were colour and were converted to gray (luminance)") }
        if dropped > 0 { warn("\(dropped) of \(n) PNG slices had an alpha channel, which was dropped") }
    }
    return Volume(shape: shape, storage: storage)
}

enum SliceOutcome {
    case pending
    case cancelled
    case done(converted: Bool, droppedAlpha: Bool)
    case failed(any Error)
}
