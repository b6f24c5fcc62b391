import CBLAS
import Glibc

/// Float storage from malloc (freed with `free`): buffers of 4 MB or more are 2 MB-aligned and advised for
/// transparent huge pages, so first touching a big activation costs 512× fewer page faults.
func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let bytes = max(1, count) * MemoryLayout<Float>.stride
    let huge = bytes >= 4 << 20
    var raw: UnsafeMutableRawPointer? = nil
    if posix_memalign(&raw, huge ? 2 << 20 : 64, bytes) == 0, let raw {
        if huge { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
        return raw.bindMemory(to: Float.self, capacity: count)
    }
    return .allocate(capacity: count)   // not reached in practice; freed by `free` like malloc memory
}

/// A 4-D float tensor in (batch, channel, row, column) order, contiguous. Storage grows
/// on demand and is reused between steps (`reshape` never shrinks the allocation).
final class Tensor: @unchecked Sendable {
    private(set) var n = 0, c = 0, h = 0, w = 0
    private(set) var pointer: UnsafeMutablePointer<Float>
    private var capacity: Int

    init(_ n: Int = 0, _ c: Int = 0, _ h: Int = 0, _ w: Int = 0) {
        capacity = max(1, n * c * h * w)
        pointer = allocateFloats(capacity)
        pointer.initialize(repeating: 0, count: capacity)
        self.n = n; self.c = c; self.h = h; self.w = w
    }

    deinit { free(pointer) }

    var count: Int { n * c * h * w }
    var plane: Int { h * w }
    var sampleCount: Int { c * h * w }

    /// Sets the shape, reallocating only when the storage is too small. Contents are unspecified after a grow.
    func reshape(_ n: Int, _ c: Int, _ h: Int, _ w: Int) {
        let need = n * c * h * w
        if need > capacity {
            free(pointer)
            capacity = need
            pointer = allocateFloats(need)
            pointer.initialize(repeating: 0, count: need)
        }
        self.n = n; self.c = c; self.h = h; self.w = w
    }

    func reshape(like t: Tensor) { reshape(t.n, t.c, t.h, t.w) }

    func zero() { pointer.update(repeating: 0, count: count) }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    var array: [Float] { Array(buffer) }

    func copy(from a: [Float]) {
        a.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { pointer.update(from: b, count: min(a.count, count)) }
        }
    }

    func sample(_ i: Int) -> UnsafeMutablePointer<Float> { pointer + i * sampleCount }
    func channel(_ i: Int, _ ch: Int) -> UnsafeMutablePointer<Float> { pointer + (i * c + ch) * plane }
}

/// A trainable parameter: its value, gradient and Adam moments.
final class Param: @unchecked Sendable {
    let name: String
    let shape: [Int]
    let value: Tensor
    let grad: Tensor
    let m: Tensor
    let v: Tensor
    /// Frozen parameters are neither updated nor decayed.
    var frozen = false
    /// Weight decay applies to convolution weights, not to biases or normalisation parameters.
    let decays: Bool

    init(name: String, shape: [Int], decays: Bool) {
        self.name = name
        self.shape = shape
        self.decays = decays
        let count = shape.reduce(1, *)
        value = Tensor(1, 1, 1, count)
        grad = Tensor(1, 1, 1, count)
        m = Tensor(1, 1, 1, count)
        v = Tensor(1, 1, 1, count)
    }

    var count: Int { value.count }
}

/// Row-major single-precision GEMM: C = alpha·op(A)·op(B) + beta·C on the calling thread.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// OpenBLAS runs single-threaded: the layers split work across `Threads.count` workers themselves,
/// which is faster on the skinny shapes a convolution produces and keeps results deterministic.
enum BLAS {
    nonisolated(unsafe) private static var configured = false
    static func configure() {
        if configured { return }
        openblas_set_num_threads(1)
        configured = true
    }
}
