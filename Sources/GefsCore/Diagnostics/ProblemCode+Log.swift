/// Problems of the allocation logs (FORMAT.md §8.3), one code per rejection rule.
extension ProblemCode {
    public static let logAllocNotFree = ProblemCode("log_alloc_not_free", .error, .logs,
        "an allocation covers space that is already allocated (double allocation or overlap)",
        fix: "free maps rebuilt from reachability and written as a fresh log", repair: .freeMapRebuild)
    public static let logFreeNotAllocated = ProblemCode("log_free_not_allocated", .error, .logs,
        "a free covers space that is already free (double free or overlap)",
        fix: "free maps rebuilt from reachability and written as a fresh log", repair: .freeMapRebuild)
    public static let logAddressOutside = ProblemCode("log_address_outside", .error, .logs,
        "an entry's range lies outside the arena's allocatable region", fix: "fresh log", repair: .freeMapRebuild)
    public static let logBadLength = ProblemCode("log_bad_length", .error, .logs,
        "a LogAlloc or LogFree length is zero, negative or not a multiple of the block size", fix: "fresh log", repair: .freeMapRebuild)
    public static let logEntryStraddles = ProblemCode("log_entry_straddles", .error, .logs,
        "a two-word entry runs past the end of the log block's data area", fix: "fresh log", repair: .freeMapRebuild)
    public static let logBadOp = ProblemCode("log_bad_op", .error, .logs,
        "LogNop or an unknown op: the rest of the arena's log cannot be read", fix: "fresh log", repair: .freeMapRebuild)
    public static let logNoTerminator = ProblemCode("log_no_terminator", .error, .logs,
        "a log block has no LogEnd or LogChain before the end of its data area", fix: "fresh log", repair: .freeMapRebuild)
    public static let logChainLoop = ProblemCode("log_chain_loop", .error, .logs,
        "a LogChain leads back to a log block already read", fix: "fresh log", repair: .freeMapRebuild)
    public static let logChainOutside = ProblemCode("log_chain_outside", .error, .logs,
        "a LogChain (or loghd) names a block outside the arena's allocatable region", fix: "fresh log", repair: .freeMapRebuild)
    public static let logNotLogBlock = ProblemCode("log_not_log_block", .error, .logs,
        "a block of the log chain is not a Tlog block, or (gefs9.00) its logsz is above 16348 or not a multiple of 8", fix: "fresh log", repair: .freeMapRebuild)
    public static let logHashMismatch = ProblemCode("log_hash_mismatch", .error, .logs,
        "a log block's loghash does not match its data area", fix: "fresh log", repair: .freeMapRebuild)
    public static let logUnreadable = ProblemCode("log_unreadable", .error, .logs,
        "a log block cannot be read from the image", fix: "fresh log", repair: .freeMapRebuild)
    public static let logBlockFree = ProblemCode("log_block_free", .error, .logs,
        "a log block read before the committed barrier is free at the end of replay", fix: "fresh log", repair: .freeMapRebuild)
    public static let logLogszMismatch = ProblemCode("log_logsz_mismatch", .error, .logs,
        "a log block's logsz does not point at the LogEnd or LogChain ending its entries (in the block of the committed barrier: points before that barrier)",
        fix: "fresh log", repair: .freeMapRebuild)
    public static let logUsedMismatch = ProblemCode("log_used_mismatch", .error, .logs,
        "the replayed used bytes differ from the arena copy's used", fix: "arena copies rewritten with the rebuilt used", repair: .freeMapRebuild)
    public static let logNoBarrier = ProblemCode("log_no_barrier", .warning, .logs,
        "the log reaches LogEnd without a barrier at or above the superblock's qgen", fix: "fresh log", repair: .freeMapRebuild)
    public static let logBarrierDecreasing = ProblemCode("log_barrier_decreasing", .warning, .logs,
        "a barrier generation is lower than an earlier one in the same log", fix: "fresh log", repair: .freeMapRebuild)
    public static let logEndWord = ProblemCode("log_end_word", .warning, .logs,
        "a LogEnd word carries bits other than the op (it is not exactly 5)", fix: "fresh log", repair: .freeMapRebuild)
    public static let logDiscardedEntries = ProblemCode("log_discarded_entries", .info, .logs,
        "entries after the committed barrier were written by an interrupted sync and are discarded",
        fix: "dropped when the log is rewritten", repair: .withOldLog)

    static let logCodes: [ProblemCode] = [
        logAllocNotFree, logFreeNotAllocated, logAddressOutside, logBadLength, logEntryStraddles, logBadOp,
        logNoTerminator, logChainLoop, logChainOutside, logNotLogBlock, logHashMismatch, logUnreadable,
        logBlockFree, logLogszMismatch, logUsedMismatch, logNoBarrier, logBarrierDecreasing, logEndWord, logDiscardedEntries,
    ]
}
