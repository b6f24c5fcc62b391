import Foundation
import Kernels
import Testing
@testable import VolumeIO
import TestSupport

/// TIFFs written by an independent writer (tifffile); see Tests/Fixtures/tiff/README.md.
@Suite struct TIFFFixtureTests {
    static let dir = packageRoot + "/Tests/Fixtures/tiff/"
    static let shape = Shape(z: 3, y: 20, x: 30)

    func load(_ name: String) throws -> Volume {
        let v = try TIFF.read(paths: [Self.dir + name])
        #expect(v.shape == Self.shape)
        return v
    }

    @Test func imageJMicronSpacingBecomesNanometres() throws {
        let v = try load("imagej_u16_micron.tif")
        #expect(v.spacing == Spacing(x: 7.5, y: 7.5, z: 50))
        #expect(v.u16?.array == (0..<Self.shape.count).map { UInt16(($0 * 1237) % 65536) })
    }

    /// Fiji writes µm as the escape `\u00B5m`; a unit emsh does not know is read as nm with a warning.
    @Test func escapedMicronsConvertAndAnUnknownUnitWarns() throws {
        var notes: [String] = []
        let um = try TIFF.read(paths: [Self.dir + "imagej_u8_escaped_um.tif"], warn: { notes.append($0) })
        #expect(um.spacing == Spacing(x: 7.5, y: 7.5, z: 50) && notes.isEmpty)
        let odd = try TIFF.read(paths: [Self.dir + "imagej_u8_furlong.tif"], warn: { notes.append($0) })
        #expect(odd.spacing == Spacing(x: 0.0075, y: 0.0075, z: 0.05))
        #expect(notes.count == 1 && notes[0].contains("unknown unit 'furlong'") && notes[0].contains("imagej_u8_furlong.tif"))
        #expect(odd.u8?.array == (0..<Self.shape.count).map { UInt8(($0 * 37) % 256) })
    }

    @Test func lzwWithPredictor() throws {
        #expect(try load("lzw_pred_u8.tif").u8?.array == (0..<Self.shape.count).map { UInt8(($0 * 37) % 256) })
    }

    @Test func bigEndianPackBitsU32() throws {
        let v = try load("bigendian_u32.tif")
        #expect(v.kind == .labels)
        #expect(v.u32?.array == (0..<Self.shape.count).map { UInt32($0 * 100003) })
    }

    @Test func bigTIFF() throws {
        #expect(try load("bigtiff_u8.tif").u8?.array == (0..<Self.shape.count).map { UInt8(($0 * 37) % 256) })
    }

    // Deflate strips are inflated by emsh itself (libdeflate + its own predictor): check against
    // tifffile's writer, several strips per page, the last one short.
    @Test func deflateStripsWithPredictorU8() throws {
        #expect(try load("deflate_pred_u8.tif").u8?.array == (0..<Self.shape.count).map { UInt8(($0 * 37) % 256) })
    }

    @Test func deflateStripsWithPredictorU16() throws {
        #expect(try load("deflate_pred_u16.tif").u16?.array == (0..<Self.shape.count).map { UInt16(($0 * 1237) % 65536) })
    }

    @Test func deflateStripsU32() throws {
        #expect(try load("deflate_u32.tif").u32?.array == (0..<Self.shape.count).map { UInt32(truncatingIfNeeded: $0 * 100003) })
    }

    @Test func deflateTilesF32() throws {
        let v = try load("deflate_tiles_f32.tif")
        var sum: UInt64 = 0
        for (k, b) in bytes(of: v).enumerated() { sum &+= UInt64(b) &* UInt64(k + 1) }
        #expect(sum == 3185733632)
        // Spot value: voxel 1 = float32(sin(0.1) * 1000) = 99.83342
        #expect(abs(v.value(z: 0, y: 0, x: 1) - 99.83342) < 1e-4)
    }
}
