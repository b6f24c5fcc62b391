/// Every number emsh prints goes through one of these. Integral values never get a ".0";
/// non-finite values print as `nan`, `inf`, `-inf`.

/// A number for people: integral values without ".0", others at up to 12 significant digits
/// (0.1 + 0.2 prints as 0.3).
public func formatNumber(_ n: Double) -> String {
    if n.isNaN { return "nan" }
    if n.isInfinite { return n > 0 ? "inf" : "-inf" }
    if n == n.rounded(), abs(n) < 1e15 { return String(Int(n)) }
    var s = String(n)
    if s.contains("e") { return s }
    // Trim binary noise at 12 significant digits when that is (almost) the same number.
    let mag = abs(n) >= 1 ? log10Floor(abs(n)) + 1 : 0
    let digits = max(1, 12 - mag)
    let short = String((n * pow10(digits)).rounded() / pow10(digits))
    if Double(short) == n || abs((Double(short) ?? n) - n) < abs(n) * 1e-12 { s = short }
    return s
}

/// The shortest text that reads back to exactly `n` (files: CSV cells, TIFF tags, JSON).
public func exactNumber(_ n: Double) -> String {
    if n.isNaN { return "nan" }
    if n.isInfinite { return n > 0 ? "inf" : "-inf" }
    if n == n.rounded() && abs(n) < 1e15 { return String(Int(n)) }
    return "\(n)"
}

/// `n` rounded to at most `decimals` decimals, without trailing zeros (12.5, 3, 0.1235).
public func formatNumber(_ n: Double, decimals: Int) -> String {
    guard n.isFinite, abs(n) < 1e15 else { return exactNumber(n) }
    let m = pow10(decimals)
    let r = (n * m).rounded() / m
    return r == r.rounded() ? String(Int(r)) : String(r)
}

/// `n` at `digits` significant digits, without trailing zeros (axis ticks).
public func formatNumber(_ n: Double, significant digits: Int) -> String {
    guard n.isFinite, n != 0, !(n == n.rounded() && abs(n) < 1e9) else { return exactNumber(n) }
    let k = digits - 1 - log10FloorSigned(abs(n))
    let scale = k >= 0 ? pow10(k) : 1 / pow10(-k)
    let r = (n * scale).rounded() / scale
    return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : "\(r)"
}

/// `x` with exactly `digits` decimals.
public func fixed(_ x: Double, _ digits: Int) -> String {
    // Infinities and numbers too large for the integer arithmetic below print as numbers do.
    if !x.isFinite || abs(x) >= 1e15 { return formatNumber(x) }
    let m = pow10(digits)
    let r = (abs(x) * m).rounded()
    let intPart = Int(r / m)
    var frac = String(Int(r.truncatingRemainder(dividingBy: m)))
    while frac.count < digits { frac = "0" + frac }
    let sign = x < 0 && r != 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(intPart)" : "\(sign)\(intPart).\(frac)"
}

/// `x` as d.ddde±N with `digits` significant digits (finite, non-zero x).
public func scientific(_ x: Double, digits: Int) -> String {
    var m = abs(x), e = 0
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    var text = fixed(m, digits - 1)
    if text.hasPrefix("10") { text = fixed(1, digits - 1); e += 1 }  // 9.9996 rounded up
    return (x < 0 ? "-" : "") + text + "e" + (e < 0 ? "-" : "+") + String(abs(e))
}

/// A count in a few characters: 950, 12.3k, 4.5M, 1.2G (parameters, histogram axes).
public func formatCount(_ x: Double) -> String {
    if x >= 1e9 { return fixed(x / 1e9, 1) + "G" }
    if x >= 1e6 { return fixed(x / 1e6, 1) + "M" }
    if x >= 1e4 { return fixed(x / 1e3, 1) + "k" }
    return formatNumber(x)
}

/// Bytes in binary units: `16 B`, `512 KiB`, `1.5 MiB`, `2 GiB` (one decimal at most).
public func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n), u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : formatNumber(v, decimals: 1) + " " + units[u]
}

private func pow10(_ k: Int) -> Double {
    var r = 1.0
    for _ in 0..<max(0, k) { r *= 10 }
    return r
}

/// ⌊log10 x⌋ for x ≥ 1 (0 below).
private func log10Floor(_ x: Double) -> Int {
    var k = 0, v = x
    while v >= 10 { v /= 10; k += 1 }
    return k
}

/// ⌊log10 x⌋ for any positive finite x.
private func log10FloorSigned(_ x: Double) -> Int {
    var k = 0, v = x
    while v >= 10 { v /= 10; k += 1 }
    while v < 1 { v *= 10; k -= 1 }
    return k
}
