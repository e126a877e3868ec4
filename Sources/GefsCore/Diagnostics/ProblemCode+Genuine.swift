/// Grades of what the genuine 9front gefs normally leaves on a gefs9.00 disk (FORMAT-9FRONT.md
/// §14), where gefs8.00 has an error: the format's `Grading` names them.
extension ProblemCode {
    public static let superblockCopyInvalid = ProblemCode("superblock_copy_invalid", .warning, .superblocks,
        "one superblock copy is invalid while the other is valid (a torn write in pass 2 of a sync)",
        fix: "rewritten from the current copy", repair: .copies)
    public static let superblockFlag = ProblemCode("superblock_flag", .warning, .superblocks,
        "the superblock's flag field is not 0 (the genuine gefs ignores it)")
    public static let arenaTableChain = ProblemCode("arena_table_chain", .error, .superblocks,
        "the arena table does not chain: an arena's header is not where the previous arena ends, or the last arena runs past the image")
    public static let arenaTableGap = ProblemCode("arena_table_gap", .info, .superblocks,
        "the arenas end narena or more blocks before the last block: the image was extended by other means")
    public static let logNeverSynced = ProblemCode("log_never_synced", .info, .logs,
        "qgen is 0 and the logs hold no barrier: the file system never completed a sync since it was formatted")
    public static let arenaUsedStale = ProblemCode("arena_used_stale", .warning, .logs,
        "the arena copy's used differs from the replay up to the committed barrier (the genuine gefs never reads it)",
        fix: "arena copies rewritten with the replayed used", repair: .copies)
    public static let arenaUsedUnsynced = ProblemCode("arena_used_unsynced", .info, .logs,
        "the arena copy's used is the last sync's while the log runs on without a barrier (a mount that never synced)")
    public static let spaceUnreachable = ProblemCode("space_unreachable", .warning, .space,
        "allocated blocks that nothing reaches: frees the genuine gefs defers past its last sync (halt leftovers)",
        fix: "freed: free maps rebuilt from reachability and written as a fresh log", repair: .freeMapRebuild)
    public static let snapNrefHigh = ProblemCode("snap_nref_high", .warning, .directories,
        "a snapshot's nref is above the number of snapshots naming it as pred (left by deleting a mutable fork): it is never deleted")
    public static let labelFlagDeprecated = ProblemCode("label_flag_deprecated", .info, .directories,
        "a label carries the deprecated flag 0x2 or 0x4, which the genuine gefs ignores")
    public static let labelFlagUnknown = ProblemCode("label_flag_unknown", .warning, .directories,
        "a label carries flag bits the format does not define")
    public static let dirNameControl = ProblemCode("dir_name_control", .info, .directories,
        "a file name holds a byte below 0x20 (the genuine gefs refuses to create one)")
    public static let deadlistGenStray = ProblemCode("deadlist_gen_stray", .warning, .trees,
        "a Kdlist names no snapshot, or a bgen outside (base, pred] of its snapshot: a sync would have merged or freed it")
    public static let snapdlNonEmpty = ProblemCode("snapdl_nonempty", .info, .superblocks,
        "the superblock's snapdl is not empty (the genuine writer frees it after every sync); its blocks are followed")
    public static let confRetainInvalid = ProblemCode("conf_retain_invalid", .warning, .directories,
        "a Kconf retain value the genuine gefs rejects as \"invalid time spec\": it takes no automatic snapshots")
    public static let confRetainAbort = ProblemCode("conf_retain_abort", .error, .directories,
        "a Kconf retain item without a unit letter: the genuine gefs aborts when it mounts the snapshot")

    static let genuineCodes: [ProblemCode] = [
        superblockCopyInvalid, superblockFlag, arenaTableChain, arenaTableGap, logNeverSynced, arenaUsedStale,
        arenaUsedUnsynced, spaceUnreachable, snapNrefHigh, labelFlagDeprecated, labelFlagUnknown, dirNameControl,
        deadlistGenStray, snapdlNonEmpty, confRetainInvalid, confRetainAbort,
    ]
}
