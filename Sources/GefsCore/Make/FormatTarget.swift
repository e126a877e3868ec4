/// The file or block device to format, as found before anything is written. Its reads go
/// through the Device layer (`HostStatus`, `FileDevice`).
public struct FormatTarget: Sendable {
    public enum Kind: Sendable { case missing, regular, blockDevice }
    /// What the image holds now.
    public enum Contents: Equatable, Sendable {
        /// Nothing: missing, empty, or zeros where superblocks would be.
        case empty
        /// A gefs superblock of the format named (`gefs8.00`, `gefs9.00`); the addresses of
        /// every superblock copy found or recorded.
        case gefs(superblocks: [Int64], format: String = "gefs8.00")
        /// Data that is not a gefs image.
        case other
    }

    public let path: String
    public let kind: Kind
    /// Current size in bytes (0 when missing).
    public let size: Int64

    /// Looks at `path` (following symbolic links) without changing anything.
    public static func inspect(_ path: String) throws -> FormatTarget {
        let st: HostStatus?
        do { st = try HostStatus.ifExists(path) } catch let HostFileError.unreadable(_, why) {
            throw FormatterError.target(path, why)
        }
        guard let st else { return FormatTarget(path: path, kind: .missing, size: 0) }
        switch st.kind {
        case .regular: return FormatTarget(path: path, kind: .regular, size: st.size)
        case .blockDevice:
            do {
                let dev = try FileDevice(path: path)
                return FormatTarget(path: path, kind: .blockDevice, size: dev.size)
            } catch let e as DeviceError {
                throw FormatterError.target(path, e.message)
            }
        case .directory: throw FormatterError.target(path, DeviceError.isDirectoryMessage)
        default: throw FormatterError.target(path, "not a regular file or a block device")
        }
    }

    /// Reads the first and the last whole block for superblocks or other data.
    public func contents() throws -> Contents {
        guard kind != .missing, size > 0 else { return .empty }
        let dev: FileDevice
        do { dev = try FileDevice(path: path) } catch let e as DeviceError { throw FormatterError.target(path, e.message) }
        func block(_ addr: Int64) throws -> [UInt8] {
            do { return try dev.readBytes(at: addr, count: Format.blockSize) } catch let e as DeviceError {
                throw FormatterError.target(path, e.message)
            }
        }
        let last = size / Format.blockSize64 * Format.blockSize64 - Format.blockSize64
        var found: [Int64] = []
        var formatName: String?
        var other = false
        for addr in last > 0 ? [0, last] : [0] {
            let b = try block(addr)
            if let format = DiskFormats.named(byMagicOf: b) {
                found.append(addr)
                formatName = formatName ?? format.name
                let whole = b + [UInt8](repeating: 0, count: Format.blockSize - b.count)
                if addr == 0, let (sb, _, _) = try? format.decodeSuperblockFields(whole),
                   sb.fssize > Format.blockSize64, sb.fssize % Format.blockSize64 == 0 {
                    found.append(sb.fssize - Format.blockSize64)
                }
            } else if !b.allZero(0..<b.count) {
                other = true
            }
        }
        if let formatName { return .gefs(superblocks: Array(Set(found)).sorted(), format: formatName) }
        return other ? .other : .empty
    }

    /// Opens the image for writing under the exclusive lock of gefs-tools writers (throwing when
    /// another process holds a lock), creating a missing file, then sets a regular file's size to
    /// `size` bytes (sparse; growing adds zeros). A block device is never resized.
    public func open(size: Int64?) throws -> FileDevice {
        do {
            if kind == .missing { try FileDevice.create(path: path) }
            let dev = try FileDevice(path: path, writable: true)
            try dev.lock(.exclusive)
            if kind != .blockDevice, let size, size != dev.size { try dev.resize(to: size) }
            return dev
        } catch let e as DeviceError {
            throw FormatterError.target(path, e.message)
        }
    }
}

extension BlockDevice {
    /// Zeroes every superblock location given that lies on the device, then flushes: the first
    /// thing a format writes, so that an interrupted format leaves no image that claims to be
    /// valid (either format's magic).
    func zeroSuperblocks(at addrs: [Int64]) throws {
        let zero = [UInt8].zeroBlock()
        for a in Set(addrs).sorted() where a >= 0 && a + Format.blockSize64 <= size { try write(zero, at: a) }
        try flush()
    }
}
