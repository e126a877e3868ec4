/// Why a structure could not be decoded. Every codec throws only this, and never traps.
public enum FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The structure needs more bytes than the buffer holds.
    case truncated(String, needed: Int, available: Int)
    /// The block's type word is not the one expected.
    case wrongType(expected: BlockType, found: UInt16)
    /// The superblock's magic is not the format's (`expected`, e.g. `gefs8.00`).
    case badMagic([UInt8], expected: String)
    /// A stored hash does not match the one computed.
    case hashMismatch(String, stored: UInt64, computed: UInt64)
    /// A field holds a value the format does not allow.
    case invalid(String, String)

    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            return "\(what): truncated (needs \(needed) bytes, \(available) left)"
        case let .wrongType(expected, found):
            return "block type \(found) where \(expected) (\(expected.rawValue)) was expected"
        case let .badMagic(bytes, expected):
            let shown = bytes.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
            return "bad magic \"\(shown)\" (not a \(expected) superblock)"
        case let .hashMismatch(what, stored, computed):
            return "\(what): hash mismatch (stored \(hex(stored)), computed \(hex(computed)))"
        case let .invalid(what, why):
            return "\(what): \(why)"
        }
    }
}
