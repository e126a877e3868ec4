/// The five passes of gefs-fsck, in order.
public enum CheckPass: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case superblocks = 1, logs, trees, directories, space

    public static func < (a: CheckPass, b: CheckPass) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .superblocks: return "Checking superblocks and arenas"
        case .logs: return "Replaying allocation logs"
        case .trees: return "Checking trees, data and deadlists"
        case .directories: return "Checking directories and snapshots"
        case .space: return "Checking space: leaks, uses after free, cross-links"
        }
    }
}
