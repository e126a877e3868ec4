/// Problems of space accounting (FORMAT.md §12): reachable blocks against the replayed free maps.
extension ProblemCode {
    public static let spaceLeak = ProblemCode("space_leak", .error, .space,
        "blocks are allocated but reachable from nothing (leaked)",
        fix: "free maps rebuilt from reachability and written as a fresh log", repair: .freeMapRebuild)
    public static let spaceUseAfterFree = ProblemCode("space_use_after_free", .error, .space,
        "reachable blocks are free in the replayed free map (use after free)",
        fix: "free maps rebuilt from reachability and written as a fresh log", repair: .freeMapRebuild)
    public static let spaceCrossLink = ProblemCode("space_cross_link", .error, nil,
        "one block is reached as two of log block, tree node, data block and deadlist block (or a listed dead address is a log or deadlist block)")
    public static let spaceOutside = ProblemCode("space_outside", .error, nil,
        "a pointer names a block outside every arena's allocatable region")
    public static let spaceIncomplete = ProblemCode("space_incomplete", .error, .space,
        "part of a tree or deadlist could not be read, so the blocks below it are unknown: no leak is freed")

    static let spaceCodes: [ProblemCode] = [
        spaceLeak, spaceUseAfterFree, spaceCrossLink, spaceOutside, spaceIncomplete,
    ]
}
