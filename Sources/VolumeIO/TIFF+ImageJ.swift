#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform
@preconcurrency import CTIFF
import Kernels

// ImageJ's metadata: the spacing read from and written to the description and resolution tags.
extension TIFF {
    /// ImageJ spacing of the current directory, in nm; nil without an ImageJ description.
    static func readSpacing(_ h: TIFFHandle) -> TIFFSpacing? {
        var cstr: UnsafePointer<CChar>?
        guard emsh_tiff_get_string(h.tif, UInt32(TIFFTAG_IMAGEDESCRIPTION), &cstr) == 1, let cstr else { return nil }
        let desc = String(cString: cstr)
        guard desc.hasPrefix("ImageJ=") else { return nil }
        var fields: [String: String] = [:]
        for line in desc.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq]).trimmed] = String(line[line.index(after: eq)...]).trimmed
        }
        let unit = decodeUnicodeEscapes(fields["unit"] ?? "")
        let known = unitScale(unit)
        let scale = known ?? 1
        var xres = 0.0, yres = 0.0
        let sx = emsh_tiff_get_f32_or_double(h.tif, UInt32(TIFFTAG_XRESOLUTION), &xres) == 1 && xres > 0 ? 1 / xres : 1
        let sy = emsh_tiff_get_f32_or_double(h.tif, UInt32(TIFFTAG_YRESOLUTION), &yres) == 1 && yres > 0 ? 1 / yres : sx
        let sz = fields["spacing"].flatMap(Double.init).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 1
        func nm(_ v: Double) -> Double {
            let r = roundSignificant(v * scale)
            return r > 0 && r.isFinite ? r : 1
        }
        let spacing = Spacing(x: nm(sx), y: nm(sy), z: nm(sz))
        // Numbers in a unit emsh does not know would be off by factors of 1000 without a word.
        var note: String?
        if known == nil {
            let calibrated = spacing != Spacing.unit
            let pixels = unit.isEmpty || ["pixel", "pixels", "px"].contains(unit.lowercased())
            if !pixels {
                note = "unknown unit '\(unit)' in the ImageJ description: the spacing is read as nm (give --spacing)"
            } else if calibrated {
                note = "the ImageJ description gives the spacing in pixels, not a length: it is read as nm (give --spacing)"
            }
        }
        return TIFFSpacing(spacing: spacing, kind: fields["emsh_kind"].flatMap(VolumeKind.init(rawValue:)), note: note)
    }

    /// `\uXXXX` escapes (as Fiji writes `unit=\u00B5m`) turned into their characters.
    static func decodeUnicodeEscapes(_ s: String) -> String {
        guard s.contains("\\u") else { return s }
        var out = "", chars = Array(s), i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 6 <= chars.count, chars[i + 1] == "u",
               let code = UInt32(String(chars[(i + 2)..<(i + 6)]), radix: 16), let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
                i += 6
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    /// Nanometres per unit for ImageJ's unit names; nil for an unknown unit and for pixels.
    static func unitScale(_ unit: String) -> Double? {
        switch unit.lowercased() {
        case "nm", "nanometer", "nanometre", "nanometers", "nanometres": 1
        case "micron", "microns", "um", "\u{00B5}m", "\u{03BC}m", "micrometer", "micrometre", "micrometers", "micrometres": 1000
        case "mm", "millimeter", "millimetre": 1_000_000
        case "cm", "centimeter", "centimetre": 10_000_000
        case "m", "meter", "metre": 1_000_000_000
        case "inch", "in": 25_400_000
        case "pm", "picometer": 0.001
        case "a", "å", "angstrom", "\u{00C5}": 0.1
        default: nil
        }
    }

    /// Rounds to 7 significant digits (libtiff holds resolutions as 32-bit floats).
    static func roundSignificant(_ v: Double) -> Double {
        guard v.isFinite, v != 0 else { return v }
        let digits = 7 - Int((log10(abs(v))).rounded(.up))
        let f = pow(10.0, Double(digits))
        return (v * f).rounded() / f
    }


    static func imageJDescription(_ v: Volume, images: Bool) -> String {
        var d = "ImageJ=1.11a\n"
        if images && v.shape.z > 1 { d += "images=\(v.shape.z)\nslices=\(v.shape.z)\n" }
        d += "unit=nm\nspacing=\(exactNumber(v.spacing.z))\nloop=false\n"
        if v.kind != .image { d += "emsh_kind=\(v.kind.rawValue)\n" }
        return d
    }

    /// A rational close to `1 / spacing` (pixels per nm) with a power-of-ten numerator.
    static func resolutionRational(_ spacing: Double) -> (UInt32, UInt32) {
        let s = spacing > 0 && spacing.isFinite ? spacing : 1
        var k = 1_000_000.0
        while k > 1 && (s * k).rounded() > Double(UInt32.max) { k /= 10 }
        let den = max(1, min(Double(UInt32.max), (s * k).rounded()))
        return (UInt32(k), UInt32(den))
    }

    /// Uncompressed little-endian classic TIFF in ImageJ's layout:
    /// header, IFD 0 (+ description, resolutions), all pixel data, then IFDs 1..n-1.
    static func writeImageJ(_ v: Volume, tmp: String, path: String) throws {
        let n = v.shape.z, w = v.shape.x, h = v.shape.y, bpp = v.type.byteSize
        let sliceBytes = w * h * bpp
        let desc = Array(imageJDescription(v, images: true).utf8) + [0]
        let (xn, xd) = resolutionRational(v.spacing.x)
        let (yn, yd) = resolutionRational(v.spacing.y)

        let entries0 = 15, entries = 14
        let ifd0Size = 2 + entries0 * 12 + 4
        let ifdSize = 2 + entries * 12 + 4
        let resOffset0 = 8 + ifd0Size
        let descOffset = resOffset0 + 16
        var dataOffset = descOffset + desc.count
        dataOffset = (dataOffset + 15) / 16 * 16
        let dataEnd = dataOffset + n * sliceBytes
        // Later IFDs each followed by their own 16 bytes of resolution rationals.
        func ifdOffset(_ z: Int) -> Int { z == 0 ? 8 : dataEnd + (z - 1) * (ifdSize + 16) }

        func ifd(_ z: Int) -> [UInt8] {
            var b: [UInt8] = []
            let count = z == 0 ? entries0 : entries
            b.reserveCapacity(2 + count * 12 + 4 + 16)
            func u16(_ x: Int) { b.append(UInt8(x & 0xff)); b.append(UInt8((x >> 8) & 0xff)) }
            func u32(_ x: Int) { for k in 0..<4 { b.append(UInt8((x >> (8 * k)) & 0xff)) } }
            func entry(_ tag: Int, _ type: Int, _ cnt: Int, _ value: Int) {
                u16(tag); u16(type); u32(cnt)
                if type == 3 && cnt == 1 { u16(value); u16(0) } else { u32(value) }
            }
            let resOffset = z == 0 ? resOffset0 : ifdOffset(z) + ifdSize
            u16(count)
            entry(254, 4, 1, 0)                                     // NewSubfileType
            entry(256, 4, 1, w)                                     // ImageWidth
            entry(257, 4, 1, h)                                     // ImageLength
            entry(258, 3, 1, bpp * 8)                               // BitsPerSample
            entry(259, 3, 1, 1)                                     // Compression: none
            entry(262, 3, 1, 1)                                     // Photometric: MinIsBlack
            if z == 0 { entry(270, 2, desc.count, descOffset) }     // ImageDescription
            entry(273, 4, 1, dataOffset + z * sliceBytes)          // StripOffsets
            entry(277, 3, 1, 1)                                     // SamplesPerPixel
            entry(278, 4, 1, h)                                     // RowsPerStrip
            entry(279, 4, 1, sliceBytes)                            // StripByteCounts
            entry(282, 5, 1, resOffset)                             // XResolution
            entry(283, 5, 1, resOffset + 8)                         // YResolution
            entry(296, 3, 1, 1)                                     // ResolutionUnit: none
            entry(339, 3, 1, v.type == .f32 ? 3 : 1)                // SampleFormat
            u32(z + 1 < n ? ifdOffset(z + 1) : 0)
            u32(Int(xn)); u32(Int(xd)); u32(Int(yn)); u32(Int(yd))
            return b
        }

        try withNewFile(tmp, reportAs: path) { fd in
            func put(_ p: UnsafeRawPointer, _ count: Int) throws {
                if !writeFully(fd, UnsafeRawBufferPointer(start: p, count: count)) {
                    throw IOError(path, "cannot write: \(errnoMessage())")
                }
            }
            var head: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
            head += ifd(0)
            head += desc
            head += [UInt8](repeating: 0, count: dataOffset - head.count)
            try head.withUnsafeBytes { if let p = $0.baseAddress { try put(p, $0.count) } }
            let base = UnsafeRawPointer(v.storage.rawPointer)
            for z in 0..<n {
                try Cancellation.check()
                try put(base + z * sliceBytes, sliceBytes)
                AtomicFile.startWriteback(fd, offset: dataOffset + z * sliceBytes, length: sliceBytes)
            }
            if n > 1 {
                var tail: [UInt8] = []
                tail.reserveCapacity((n - 1) * (ifdSize + 16))
                for z in 1..<n { tail += ifd(z) }
                try tail.withUnsafeBytes { if let p = $0.baseAddress { try put(p, $0.count) } }
            }
        }
    }
}
