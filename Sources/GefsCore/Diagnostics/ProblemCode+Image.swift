/// Problems of superblocks and arena copies (FORMAT.md §5–§7).
extension ProblemCode {
    public static let superblockInvalid = ProblemCode("superblock_invalid", .error, .superblocks,
        "a superblock copy is unreadable or fails its checks", fix: "rewritten from the current copy", repair: .copies)
    public static let superblockStale = ProblemCode("superblock_stale", .warning, .superblocks,
        "a valid superblock copy has an older qgen than the current one", fix: "rewritten from the current copy", repair: .copies)
    public static let superblockMismatch = ProblemCode("superblock_mismatch", .error, .superblocks,
        "both superblock copies have the same qgen but different contents; sb0 is used", fix: "sb1 rewritten from sb0", repair: .copies)
    public static let superblockNone = ProblemCode("superblock_none", .error, .superblocks,
        "neither superblock copy is valid: the image cannot be read")
    public static let superblockSnapdlInvalid = ProblemCode("superblock_snapdl_invalid", .error, .superblocks,
        "the superblock's snapdl is half empty (one end -1, the other a block) or empty with a nonzero hash")
    public static let imageTruncated = ProblemCode("image_truncated", .error, .superblocks,
        "the image is shorter than the file system size the superblock records")
    public static let imageGrown = ProblemCode("image_grown", .warning, .superblocks,
        "the image is longer than the file system size the superblock records")
    public static let arenaHeaderStale = ProblemCode("arena_header_stale", .warning, .superblocks,
        "an arena header does not match the superblock; the footer holds the arena's state",
        fix: "rewritten from the current copy", repair: .copies)
    public static let arenaFooterStale = ProblemCode("arena_footer_stale", .warning, .superblocks,
        "an arena footer does not match the superblock (normal before pass 3 of a sync completes)",
        fix: "rewritten from the current copy", repair: .copies)
    public static let arenaCopyCorrupt = ProblemCode("arena_copy_corrupt", .error, .superblocks,
        "an arena header or footer is not a well-formed arena block", fix: "rewritten from the current copy", repair: .copies)
    public static let arenaCopyTail = ProblemCode("arena_copy_tail", .error, .superblocks,
        "an arena header or footer has intact fields but nonzero bytes after them",
        fix: "rewritten from the fields with the rest zeroed; the superblocks record the new hash", repair: .copies)
    public static let arenaNoCurrentCopy = ProblemCode("arena_no_current_copy", .error, .superblocks,
        "neither the arena's header nor its footer matches the hash the superblock records",
        fix: "gefs9.00, when the table's hash is -1 beside an identical, well-formed header and footer (a grown image): the header's hash recorded", repair: .recordArenaHash)

    static let imageCodes: [ProblemCode] = [
        superblockInvalid, superblockStale, superblockMismatch, superblockNone, superblockSnapdlInvalid, imageTruncated, imageGrown,
        arenaHeaderStale, arenaFooterStale, arenaCopyCorrupt, arenaCopyTail, arenaNoCurrentCopy,
    ]
}
