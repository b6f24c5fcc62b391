/// Vectorised float reductions (8 independent lanes, summed in a fixed order: deterministic).

/// Eight floats from any address (shared with `Elementwise.swift`).
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Σ p[i].
func vsum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(), i = 0
    while i + 8 <= n { acc += load8(p + i); i += 8 }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

/// Σ (p[i] − mu)².
func vsumSquares(_ p: UnsafePointer<Float>, _ n: Int, minus mu: Float) -> Float {
    var acc = SIMD8<Float>(), i = 0
    let m = SIMD8<Float>(repeating: mu)
    while i + 8 <= n { let d = load8(p + i) - m; acc += d * d; i += 8 }
    var s = acc.sum()
    while i < n { let d = p[i] - mu; s += d * d; i += 1 }
    return s
}

/// (Σ g[i], Σ g[i]·(x[i] − mu)·r).
func vsumGradients(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, mu: Float, r: Float) -> (Float, Float) {
    var a = SIMD8<Float>(), b = SIMD8<Float>(), i = 0
    let m = SIMD8<Float>(repeating: mu), rv = SIMD8<Float>(repeating: r)
    while i + 8 <= n {
        let gv = load8(g + i)
        a += gv
        b += gv * ((load8(x + i) - m) * rv)
        i += 8
    }
    var s = a.sum(), t = b.sum()
    while i < n { s += g[i]; t += g[i] * ((x[i] - mu) * r); i += 1 }
    return (s, t)
}

/// (Σ p[i], Σ p[i]²) in one pass.
func vsumAndSquares(_ p: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
    var a = SIMD8<Float>(), b = SIMD8<Float>(), i = 0
    while i + 8 <= n { let v = load8(p + i); a += v; b += v * v; i += 8 }
    var s = a.sum(), t = b.sum()
    while i < n { s += p[i]; t += p[i] * p[i]; i += 1 }
    return (s, t)
}
