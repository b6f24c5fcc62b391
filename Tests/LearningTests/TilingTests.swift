import Testing
@testable import Learning

@Suite("tiling")
struct TilingTests {
    @Test("tile origins cover the slice with the last tile flush with the end")
    func positions() {
        #expect(tilePositions(length: 1024, tile: 512, overlap: 32) == [0, 480, 512])
        #expect(tilePositions(length: 300, tile: 512, overlap: 32) == [0])
        #expect(tilePositions(length: 100, tile: 40, overlap: 8) == [0, 32, 60])
    }

    @Test("the blend window rises smoothly over the overlap and is never zero")
    func window() {
        let w = blendWindow(16, 4)
        #expect(w.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(w[8] == 1 && w[0] < w[1] && w[1] < w[2] && w[15] == w[0])
        #expect(blendWindow(8, 0).allSatisfy { $0 == 1 })
    }

    @Test("reflection mirrors indices without repeating the edge")
    func reflection() {
        #expect((-3...6).map { reflect($0, 4) } == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0])
    }
}
