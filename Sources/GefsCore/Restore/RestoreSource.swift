/// Where gefs-restore reads an image's blocks: raw, for scanning by structure, and through a
/// block pointer, checked against the hash the pointer carries (FORMAT.md §3).
///
/// Normally that is an opened `Image`: `Image.read(_:)` does the check the image's format
/// prescribes, so nothing here knows a hash function. When no superblock copy is valid the
/// image cannot be opened, and `--scan` reads the bare device; pointers are then checked by
/// `DetachedCheck` (DetachedCheck.swift), the one place restore names a format's block hash.
public final class RestoreSource {
    public let device: BlockDevice
    /// The opened image; nil when no superblock copy is valid.
    public let image: Image?
    let detached: DetachedCheck?

    public var name: String { device.name }

    public init(image: Image) {
        self.device = image.device; self.image = image; self.detached = nil
    }

    /// The bare device of an image that cannot be opened (for `--scan`).
    public init(unopened device: BlockDevice) {
        self.device = device; self.image = nil; self.detached = DetachedCheck(device: device)
    }

    /// Why a block reached through a pointer could not be had.
    public enum ReadFailure: Error, CustomStringConvertible {
        /// The block could not be read from the image (past its end, an I/O error).
        case unreadable(String)
        /// The block was read but does not hash to what the pointer says.
        case mismatch(stored: UInt64, computed: UInt64)

        public var description: String {
            switch self {
            case let .unreadable(s): return s
            case let .mismatch(stored, computed): return "hashes to \(hex(computed)), its pointer says \(hex(stored))"
            }
        }
    }

    /// The block `bp` names, checked against its hash.
    public func read(_ bp: BlockPointer) throws -> [UInt8] {
        do {
            if let image { return try image.read(bp) }
            return try detached!.read(bp)
        } catch let e as FormatError {
            if case let .hashMismatch(_, stored, computed) = e { throw ReadFailure.mismatch(stored: stored, computed: computed) }
            throw ReadFailure.unreadable("\(e)")
        } catch {
            throw ReadFailure.unreadable("\(error)")
        }
    }

    /// The block at `addr`, unchecked (scanning, `--keep-bad`).
    public func readRaw(at addr: Int64) throws -> [UInt8] { try device.read(at: addr) }

    /// The generation bound of the image: every generation in use is below it; nil when the
    /// image could not be opened.
    public var nextgen: UInt64? { image?.superblock.nextgen }
}
