/// Vectorised element-wise loops of the normalisation layer (the compiler leaves these scalar when the
/// pointers may alias); the vector body and the scalar tail compute the same float expression. `load8` is
/// Reduce.swift's.

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// dst[i] = y[i] > 0 ? g[i] : 0 (the fused ReLU's backward).
func vmaskPositive(_ dst: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let zero = SIMD8<Float>()
    while i + 8 <= n {
        store8(zero.replacing(with: load8(g + i), where: load8(y + i) .> zero), dst + i)
        i += 8
    }
    while i < n { dst[i] = y[i] > 0 ? g[i] : 0; i += 1 }
}

/// dst[i] = max(x[i]·a + b, 0) when `relu`, else x[i]·a + b; dst may equal x.
func vscaleShift(_ dst: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, a: Float, b: Float, relu: Bool) {
    var i = 0
    let av = SIMD8<Float>(repeating: a), bv = SIMD8<Float>(repeating: b), zero = SIMD8<Float>()
    if relu {
        while i + 8 <= n { let v = load8(x + i) * av + bv; store8(v.replacing(with: zero, where: v .< zero), dst + i); i += 8 }
        while i < n { dst[i] = max(x[i] * a + b, 0); i += 1 }
    } else {
        while i + 8 <= n { store8(load8(x + i) * av + bv, dst + i); i += 8 }
        while i < n { dst[i] = x[i] * a + b; i += 1 }
    }
}

/// The normalisation's input gradient: dst[i] = r·(g[i]·gamma − m1 − (x[i] − mu)·r·m2); dst may equal g.
func vnormGradient(_ dst: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
                   gamma: Float, mu: Float, r: Float, m1: Float, m2: Float) {
    var i = 0
    let gv = SIMD8<Float>(repeating: gamma), muv = SIMD8<Float>(repeating: mu), rv = SIMD8<Float>(repeating: r)
    let m1v = SIMD8<Float>(repeating: m1), m2v = SIMD8<Float>(repeating: m2)
    while i + 8 <= n {
        let xh = (load8(x + i) - muv) * rv
        store8(rv * (load8(g + i) * gv - m1v - xh * m2v), dst + i)
        i += 8
    }
    while i < n {
        let xh = (x[i] - mu) * r
        dst[i] = r * (g[i] * gamma - m1 - xh * m2)
        i += 1
    }
}
