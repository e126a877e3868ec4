/// How a checker grades the states where the two formats differ (FORMAT.md; FORMAT-9FRONT.md
/// §14): what the genuine gefs normally leaves on disk is an error in gefs8.00 and a warning, a
/// note or nothing in gefs9.00. Each format gives one of these tables; the passes read it, so
/// that none asks which format it checks. A nil code means "not reported".
public struct Grading: Sendable {
    /// One superblock copy invalid while the other is valid.
    public var copyInvalidBesideValid: ProblemCode
    /// Every log ends without a barrier while `qgen` is 0 (never synced since the format): said
    /// once for the image instead of `log_no_barrier` per arena. Nil: `log_no_barrier` applies.
    public var neverSynced: ProblemCode?
    /// The arena copy's `used` differs from replay, when replay stopped at a barrier, and when it
    /// ran to the end of the log without one.
    public var usedMismatchAtBarrier: ProblemCode
    public var usedMismatchWithoutBarrier: ProblemCode
    /// The same when replay aborted (a bad op, a broken chain, a block that fails its hash):
    /// what replay gives then is not the arena's state, so a format may say nothing (nil).
    public var usedMismatchAfterAbort: ProblemCode?
    /// Allocated blocks that nothing reaches.
    public var unreachable: ProblemCode
    /// Whether each unreachable run is read and named by what it probably was (a previous log
    /// block, a freed deadlist block, a replaced tree node, data).
    public var namesUnreachable: Bool
    /// A snapshot's `nref` above the number of other snapshots whose `pred` it is.
    public var nrefTooHigh: ProblemCode
    /// Whether the gen-0 record may name itself as `pred` (ream's `empty`).
    public var genZeroSelfPred: Bool
    /// Whether `Xdir.flag` means anything (then it must be 0).
    public var xdirFlagDefined: Bool
    /// Whether Kconf keys belong in trees.
    public var confKeys: Bool
    /// Label flag bits: the defined ones, and the deprecated ones (reported with
    /// `labelFlagDeprecated`). Any other bit is `labelFlagUnknown`.
    public var labelFlags: UInt32
    public var labelFlagsDeprecated: UInt32
    public var labelFlagDeprecated: ProblemCode?
    public var labelFlagUnknown: ProblemCode
    /// A file name holding a byte below 0x20.
    public var controlByteName: ProblemCode?
    /// A Kdlist whose gen is no snapshot, or whose bgen is outside (base, pred].
    public var deadlistGen: ProblemCode
    /// The hash both ends of an empty `snapdl` must carry; nil: any.
    public var emptySnapdlHash: UInt64?
    /// Whether the format's own loader refuses an image when the first two bytes of a
    /// superblock slot are no block type, even beside a valid copy (FORMAT-9FRONT.md §4): such a
    /// copy is then an error, not `copyInvalidBesideValid`.
    public var unknownSuperblockTypeRefused: Bool

    public init(copyInvalidBesideValid: ProblemCode, neverSynced: ProblemCode?, usedMismatchAtBarrier: ProblemCode,
                usedMismatchWithoutBarrier: ProblemCode, unreachable: ProblemCode, namesUnreachable: Bool,
                nrefTooHigh: ProblemCode, genZeroSelfPred: Bool, xdirFlagDefined: Bool, confKeys: Bool,
                labelFlags: UInt32, labelFlagsDeprecated: UInt32, labelFlagDeprecated: ProblemCode?,
                labelFlagUnknown: ProblemCode, controlByteName: ProblemCode?, deadlistGen: ProblemCode,
                emptySnapdlHash: UInt64?, unknownSuperblockTypeRefused: Bool = false, usedMismatchAfterAbort: ProblemCode? = nil) {
        self.copyInvalidBesideValid = copyInvalidBesideValid; self.neverSynced = neverSynced
        self.usedMismatchAtBarrier = usedMismatchAtBarrier; self.usedMismatchWithoutBarrier = usedMismatchWithoutBarrier
        self.unreachable = unreachable; self.namesUnreachable = namesUnreachable; self.nrefTooHigh = nrefTooHigh
        self.genZeroSelfPred = genZeroSelfPred; self.xdirFlagDefined = xdirFlagDefined; self.confKeys = confKeys
        self.labelFlags = labelFlags; self.labelFlagsDeprecated = labelFlagsDeprecated
        self.labelFlagDeprecated = labelFlagDeprecated; self.labelFlagUnknown = labelFlagUnknown
        self.controlByteName = controlByteName; self.deadlistGen = deadlistGen; self.emptySnapdlHash = emptySnapdlHash
        self.unknownSuperblockTypeRefused = unknownSuperblockTypeRefused
        self.usedMismatchAfterAbort = usedMismatchAfterAbort
    }
}

/// What an unreachable block's bytes suggest it was (FORMAT-9FRONT.md §14's grading).
public enum BlockLook: String, Sendable {
    case log = "a previous log block"
    case deadlist = "a freed deadlist block"
    case treeNode = "a replaced tree node"
    case other = "a replaced data block or an uncommitted allocation"
}
