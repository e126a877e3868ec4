/// What keeps a byte string from being a file name in a directory (FORMAT.md §9.5: names are
/// 1 to `Format.nameMax` bytes, without NUL or '/', and never "." or ".."). One rule for every
/// tool: mkgefs skips host files it cannot hold, gefs-fsck reports entries that break it; each
/// says it in its own words.
public enum NameFault: Equatable, Sendable {
    case empty
    /// Longer than `Format.nameMax` bytes (the length).
    case tooLong(Int)
    case nul
    case slash
    /// "." or "..".
    case dots

    /// The first fault of `name`, in the order above, or nil when gefs can hold it.
    public init?<Name: Collection>(_ name: Name) where Name.Element == UInt8 {
        if name.isEmpty {
            self = .empty
        } else if name.count > Format.nameMax {
            self = .tooLong(name.count)
        } else if name.contains(0) {
            self = .nul
        } else if name.contains(UInt8(ascii: "/")) {
            self = .slash
        } else if name.count <= 2, name.allSatisfy({ $0 == 0x2e }) {
            self = .dots
        } else {
            return nil
        }
    }
}
