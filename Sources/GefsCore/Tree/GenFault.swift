/// What is wrong with a block pointer's birth gen (FORMAT.md §9): every block of a tree has a
/// gen no greater than the tree's, and every gen in use is below the superblock's `nextgen`.
/// The tree reader and the checker's passes both judge pointers by it.
public enum GenFault: Equatable, Sendable, CustomStringConvertible {
    /// Above the gen of the tree that holds the pointer.
    case aboveTree(Int64)
    /// Not below the superblock's `nextgen`.
    case notBelowNextgen(UInt64)

    /// The fault of `bp`'s gen in a tree of gen `treeGen` (nil for the snapshot tree, which has
    /// none), or nil when there is none. An unknown gen (-1) is below every `nextgen`.
    public init?(_ bp: BlockPointer, treeGen: Int64?, nextgen: UInt64) {
        if let g = treeGen, bp.gen > g {
            self = .aboveTree(g)
        } else if bp.gen >= 0, UInt64(bp.gen) >= nextgen {
            self = .notBelowNextgen(nextgen)
        } else {
            return nil
        }
    }

    /// `above the tree's gen 4`, `not below nextgen 7`.
    public var description: String {
        switch self {
        case let .aboveTree(g): return "above the tree's gen \(g)"
        case let .notBelowNextgen(n): return "not below nextgen \(n)"
        }
    }
}
