import GefsCore
#if canImport(Glibc)
import Glibc
#endif

/// How the whole-image fuzz targets read the fuzzer's bytes: a base image and edits to it, so
/// that a small input reaches any block of a real image.
///
/// Byte 0 picks the base (modulo the number of bases). Records follow until the input ends:
/// `block[2] offset[2] n[1] bytes[n]` replaces `n` bytes at `offset` (modulo B, clipped to the
/// block) of block `block` (modulo the image's blocks); the block number 0xFFFF instead resizes
/// the image to `offset` blocks (no `n`, no bytes). All numbers are big-endian.
public struct ImagePatch: Equatable, Sendable {
    public enum Edit: Equatable, Sendable {
        case bytes(block: Int, offset: Int, [UInt8])
        case resize(blocks: Int)
    }
    public var base: Int
    public var edits: [Edit]

    public init(base: Int, edits: [Edit]) { self.base = base; self.edits = edits }

    static let resizeMark = 0xFFFF

    /// Parses any bytes; a record cut short by the end of the input keeps what is there.
    public init(parsing d: [UInt8]) {
        base = d.first.map(Int.init) ?? 0
        edits = []
        var i = 1
        while i + 4 <= d.count {
            let block = Int(d[i]) << 8 | Int(d[i + 1]), offset = Int(d[i + 2]) << 8 | Int(d[i + 3])
            i += 4
            if block == ImagePatch.resizeMark { edits.append(.resize(blocks: offset)); continue }
            guard i < d.count else { break }
            let n = Int(d[i])
            i += 1
            let end = min(d.count, i + n)
            edits.append(.bytes(block: block, offset: offset % Format.blockSize, Array(d[i..<end])))
            i = end
        }
    }

    /// The bytes that parse back to this patch.
    public var encoded: [UInt8] {
        var out: [UInt8] = [UInt8(truncatingIfNeeded: base)]
        func u16(_ v: Int) { out += [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        for e in edits {
            switch e {
            case let .resize(n): u16(ImagePatch.resizeMark); u16(n)
            case let .bytes(block, offset, bytes):
                u16(block); u16(offset); out.append(UInt8(bytes.count)); out += bytes
            }
        }
        return out
    }

    /// The patched image over `bases[base % count]`.
    public func device(_ bases: [[UInt8]]) -> PatchedDevice {
        let b = bases[base % bases.count]
        var size = Int64(b.count)
        for case let .resize(n) in edits { size = Int64(n) * Format.blockSize64 }
        let dev = PatchedDevice(base: b, size: size)
        let blocks = Int(size / Format.blockSize64)
        guard blocks > 0 else { return dev }
        for case let .bytes(block, offset, bytes) in edits {
            dev.patch(Int64(block % blocks) * Format.blockSize64, offset: offset, bytes[...])
        }
        return dev
    }

    /// The patch that turns `bases[base]` into `image`: byte runs of the blocks that differ
    /// (runs closer than 8 bytes merged, at most 255 bytes each), after a resize when the sizes
    /// differ. Nil when it needs a block number the format cannot hold.
    public static func diff(base: Int, _ from: [UInt8], _ image: [UInt8]) -> ImagePatch? {
        let B = Format.blockSize
        var edits: [Edit] = []
        let blocks = image.count / B
        guard blocks < resizeMark else { return nil }
        if image.count != from.count { edits.append(.resize(blocks: blocks)) }
        let zero = [UInt8](repeating: 0, count: B)
        for blk in 0..<blocks {
            let o = blk * B
            let same = image.withUnsafeBytes { a in
                (o + B <= from.count ? from : zero).withUnsafeBytes { b in
                    memcmp(a.baseAddress! + o, b.baseAddress! + (o + B <= from.count ? o : 0), B) == 0
                }
            }
            if same { continue }
            func old(_ i: Int) -> UInt8 { o + i < from.count ? from[o + i] : 0 }
            var i = 0
            while i < B {
                guard image[o + i] != old(i) else { i += 1; continue }
                var end = i + 1, last = i
                while end < B, end - i < 255, end - last <= 8 {
                    if image[o + end] != old(end) { last = end }
                    end += 1
                }
                edits.append(.bytes(block: blk, offset: i, Array(image[o + i...o + last])))
                i = last + 1
            }
        }
        return ImagePatch(base: base, edits: edits)
    }

    /// Bytes the patch changes, for choosing the closest base.
    public var weight: Int {
        edits.reduce(0) {
            switch $1 {
            case let .bytes(_, _, b): return $0 + 5 + b.count
            case .resize: return $0 + 4
            }
        }
    }
}
