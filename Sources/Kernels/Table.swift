/// One column of a table: numbers or strings.
public enum Column: Sendable, Equatable {
    case number([Double])
    case string([String])

    public var count: Int {
        switch self {
        case .number(let v): v.count
        case .string(let v): v.count
        }
    }
}

/// Named columns of equal length (the analysis results: per-object shapes, sweeps, per-slice stats).
public struct Table: Sendable, Equatable {
    public private(set) var names: [String]
    public private(set) var columns: [Column]

    public init() { names = []; columns = [] }

    public init(_ pairs: [(String, Column)]) {
        names = pairs.map(\.0)
        columns = pairs.map(\.1)
        precondition(Set(columns.map(\.count)).count <= 1, "table columns differ in length")
    }

    public var rowCount: Int { columns.first?.count ?? 0 }

    public func column(_ name: String) -> Column? {
        guard let i = names.firstIndex(of: name) else { return nil }
        return columns[i]
    }

    public func numbers(_ name: String) -> [Double]? {
        if case .number(let v)? = column(name) { return v }
        return nil
    }

    public mutating func append(_ name: String, _ column: Column) {
        precondition(columns.isEmpty || column.count == rowCount, "table columns differ in length")
        if let i = names.firstIndex(of: name) { columns[i] = column } else { names.append(name); columns.append(column) }
    }
}
