import Testing
@testable import Kernels

private func grid(_ rows: [String], kind: VolumeKind = .labels) -> Volume {
    let v = rows.flatMap { $0.map { UInt32(String($0)) ?? 0 } }
    return Volume(shape: Shape(z: 1, y: rows.count, x: rows[0].count), spacing: Spacing(x: 3, y: 3, z: 9),
                  kind: kind, storage: .u32(VoxelBuffer(v)))
}
private func rows(_ v: Volume) -> [String] {
    (0..<v.shape.y).map { y in String((0..<v.shape.x).map { Character(String(Int(v.value(z: 0, y: y, x: $0)))) }) }
}

@Test func contourWidthOneIsTheFourNeighbourOutline() throws {
    let c = try contour(grid(["00000",
                              "01110",
                              "01110",
                              "01110",
                              "00000"]), width: 1)
    #expect(c.kind == .mask && c.type == .u8 && c.spacing == Spacing(x: 3, y: 3, z: 9))
    #expect(rows(c) == ["00000", "01110", "01010", "01110", "00000"])
}

@Test func contourSeparatesTouchingLabelsAndIgnoresTheImageBorder() throws {
    let c = try contour(grid(["1122",
                              "1122",
                              "1122"]), width: 1)
    #expect(rows(c) == ["0110", "0110", "0110"])
    // Width 2 (Euclidean ≤ 2) around one background voxel in the corner: (3,5), (5,3) at 2, (4,4) at √2.
    let d = try contour(grid(["111111",
                              "111111",
                              "111111",
                              "111111",
                              "111111",
                              "111110"]), width: 2)
    #expect(rows(d) == ["000000", "000000", "000000", "000001", "000011", "000110"])
    #expect(throws: VolumeError.self) { try contour(grid(["1"]), width: 0) }
}
