import Foundation
import Kernels
import Testing
@testable import VolumeIO

/// The sbem-mito training slices, checked against numbers computed once with an independent
/// reader (Pillow 13 + numpy in scripts' bench venv): per-slice foreground counts of the palette
/// labels (index != 0), and for the images the byte sum and the position-weighted sum
/// Σ (i+1)·b[i] over each slice in row-major order.
@Suite(.enabled(if: hasRealData, "needs ../shared/data/sbem-mito")) struct RealDataTests {
    static let labelCounts: [Int] = [
        103195, 93509, 94887, 91462, 87368, 80728, 87805, 80773, 85267, 89701,
        100426, 95823, 94310, 82967, 85733, 95230, 99331, 101717, 97458, 96004,
    ]
    static let imageSums: [UInt64] = [
        131042936, 131165564, 130314210, 131919864, 129363620, 130552938, 130439077, 132681191, 131442855, 131168340,
        130884395, 133157792, 132650442, 134807609, 133173799, 129691653, 129672510, 128917210, 126701397, 127023718,
    ]
    static let imageWeighted: [UInt64] = [
        68900682205663, 69057861526514, 68727099479085, 69716429071805, 68757042357137,
        69520021060332, 69103074286777, 70518043991518, 69663553467550, 69762795132404,
        69770328118293, 70746115574300, 70460238044652, 71161736858252, 69863827304236,
        67976812705671, 67548948933578, 66818288481099, 65386559080538, 65243673910796,
    ]

    @Test func labelsAsMaskMatchAnIndependentReader() throws {
        let m = try VolumeIO.loadVolume(pattern: "train/labels/*.png", cwd: realData, mask: true)
        #expect(m.shape == Shape(z: 20, y: 1024, x: 1024))
        #expect(m.kind == .mask)
        let b = try #require(m.u8)
        let plane = m.shape.sliceCount
        var counts: [Int] = []
        var other = 0
        for z in 0..<20 {
            var c = 0
            for i in (z * plane)..<((z + 1) * plane) {
                let v = b.pointer[i]
                c &+= Int(v)
                if v > 1 { other &+= 1 }
            }
            counts.append(c)
        }
        #expect(other == 0)
        #expect(counts == Self.labelCounts)
    }

    @Test func imagesLoadByteExact() throws {
        let v = try VolumeIO.loadVolume(pattern: "train/images/*.png", cwd: realData)
        #expect(v.shape == Shape(z: 20, y: 1024, x: 1024) && v.type == .u8)
        let b = try #require(v.u8)
        let plane = v.shape.sliceCount
        var sums: [UInt64] = [], weighted: [UInt64] = []
        for z in 0..<20 {
            var s: UInt64 = 0, w: UInt64 = 0
            let p = b.pointer + z * plane
            for i in 0..<plane {
                let x = UInt64(p[i])
                s &+= x
                w &+= x &* UInt64(i + 1)
            }
            sums.append(s)
            weighted.append(w)
        }
        #expect(sums == Self.imageSums)
        #expect(weighted == Self.imageWeighted)
    }
}
