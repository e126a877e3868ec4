/// Every format the toolkit knows, and the one a block's magic names (FORMAT-9FRONT.md §13).
public enum DiskFormats {
    public static let all: [any DiskFormat] = [Gefs8Format(), Gefs9Format()]

    /// The format whose magic begins `block`, if any.
    public static func named(byMagicOf block: [UInt8]) -> (any DiskFormat)? {
        all.first { block.starts(with: $0.magic) }
    }

    /// The format called `name` (its magic) or `9front` (the genuine format's common name).
    public static func named(_ name: String) -> (any DiskFormat)? {
        if name == "9front" { return Gefs9Format() }
        return all.first { $0.name == name }
    }
}
