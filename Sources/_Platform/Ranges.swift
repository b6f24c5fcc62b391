/// Index ranges `start:end` as emsh reads them everywhere (`slices`, `crop`, `load --z`):
/// end exclusive, negative indices count from the end, nil means the start or the end.
/// A range that is empty or reaches outside 0:count is an error, never silently clamped.
public struct IndexRange: Sendable, Equatable, CustomStringConvertible {
    public var start: Int?
    public var end: Int?
    public init(_ start: Int?, _ end: Int?) { self.start = start; self.end = end }

    /// `a:b` as written (an open side left empty).
    public var description: String { "\(start.map(String.init) ?? ""):\(end.map(String.init) ?? "")" }

    /// The half-open range against `count`, or nil when it is empty or outside 0..<count.
    public func resolve(count: Int) -> Range<Int>? {
        let s0 = start ?? 0, e0 = end ?? count
        let s = s0 < 0 ? count + s0 : s0
        let e = e0 < 0 ? count + e0 : e0
        guard s >= 0, e <= count, s < e else { return nil }
        return s..<e
    }

    /// Why `resolve(count:)` gave nil, for an error message naming the range and the extent:
    /// "z range 3:9 is empty or outside 0:5 (…)".
    public func problem(count: Int, axis: String = "z") -> String {
        "\(axis) range \(self) is empty or outside 0:\(count) (end exclusive; negative indices count from the end)"
    }

    /// One index `k` against `count` (negative counts from the end), or nil when outside.
    public static func index(_ k: Int, count: Int) -> Int? {
        let i = k < 0 ? count + k : k
        return i >= 0 && i < count ? i : nil
    }

    /// Why `index(_:count:)` gave nil: "slice 7 is outside 0:5 (…)".
    public static func indexProblem(_ k: Int, count: Int, what: String = "slice") -> String {
        "\(what) \(k) is outside 0:\(count) (negative indices count from the end)"
    }
}
