/// A distinct, saturated colour for a label id (hashed, so neighbouring ids differ strongly;
/// the same id always gets the same colour): `show` in the terminal and `overlay` in a PNG
/// draw every label in this colour.
public func labelColour(_ id: UInt32) -> (UInt8, UInt8, UInt8) {
    var h = id &* 0x9E37_79B1
    h ^= h >> 15; h = h &* 0x85EB_CA77; h ^= h >> 13
    let hue = Double(h % 3600) / 3600 * 6
    let sat = 0.65 + Double((h >> 12) % 35) / 100, val = 0.85 + Double((h >> 20) % 15) / 100
    let i = Int(hue) % 6, f = hue - Double(Int(hue))
    let p = val * (1 - sat), q = val * (1 - sat * f), t = val * (1 - sat * (1 - f))
    let (r, g, b): (Double, Double, Double)
    switch i {
    case 0: (r, g, b) = (val, t, p)
    case 1: (r, g, b) = (q, val, p)
    case 2: (r, g, b) = (p, val, t)
    case 3: (r, g, b) = (p, q, val)
    case 4: (r, g, b) = (t, p, val)
    default: (r, g, b) = (val, p, q)
    }
    return (UInt8(r * 255), UInt8(g * 255), UInt8(b * 255))
}
