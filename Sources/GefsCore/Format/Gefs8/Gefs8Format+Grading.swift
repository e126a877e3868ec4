/// gefs8.00 grades by FORMAT.md alone: its writers leave nothing behind, so every departure is
/// an error (or the warning FORMAT.md names).
extension Gefs8Format {
    public var grading: Grading {
        Grading(copyInvalidBesideValid: .superblockInvalid, neverSynced: nil,
                usedMismatchAtBarrier: .logUsedMismatch, usedMismatchWithoutBarrier: .logUsedMismatch,
                unreachable: .spaceLeak, namesUnreachable: false,
                nrefTooHigh: .snapNrefMismatch, genZeroSelfPred: false, xdirFlagDefined: true, confKeys: false,
                labelFlags: LabelValue.mutable, labelFlagsDeprecated: 0, labelFlagDeprecated: nil,
                labelFlagUnknown: .labelInvalid, controlByteName: nil, deadlistGen: .deadlistGen, emptySnapdlHash: 0,
                usedMismatchAfterAbort: .logUsedMismatch)
    }

    public func looksLike(_ block: [UInt8]) -> BlockLook { .other }

    public var repairable: Bool { true }
    public var recordsMissingArenaHash: Bool { false }

    /// gefs8.00's geometry is checked whole with the superblock (`superblockError`).
    public func layoutProblems(_ sb: Superblock, _ arenas: [ArenaGeometry?], blockCount: Int64) -> [Problem] { [] }
}
