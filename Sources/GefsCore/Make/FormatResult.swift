/// What a populate put into main.
public struct PopulateSummary: Equatable, Sendable {
    public var directories = 0
    public var files = 0
    public var dataBlocks = 0
    /// All-zero blocks left as holes.
    public var holes = 0
    public var skipped = 0
    public var tree = BuiltTree(root: .null, height: 1, nodesPerLevel: [1])
}

/// What a format wrote (or, for a dry run, would write).
public struct FormatResult: Equatable, Sendable {
    public var layout: Layout
    public var options: FormatOptions
    /// Every arena's header (and footer) contents.
    public var arenas: [ArenaCopy]
    /// The log blocks of each arena, in chain order.
    public var logBlocks: [[Int64]]
    public var superblock: Superblock
    public var populate: PopulateSummary?
    public var dryRun = false

    /// The summary mkgefs prints: one fact per line, no timestamps, addresses in hex.
    public var summary: [String] {
        let B = Format.blockSize64
        var out = [
            "size       \(layout.fssize) bytes (\(humanSize(layout.fssize))), \(layout.blocks) blocks of \(B) bytes",
            "arenas     \(layout.narena) of \(layout.arenasz) bytes (\(layout.arenasz / B) blocks), gap \(layout.gapBlocks) blocks",
            "sb0        \(hex(0))",
            "sb1        \(hex(layout.sb1))",
        ]
        for (i, a) in arenas.enumerated() {
            let logs = logBlocks[i].count == 1 ? "" : " (\(logBlocks[i].count) log blocks)"
            out.append(column("arena \(i)") + "header \(hex(layout.base(i))) footer \(hex(layout.footer(i))) log \(hex(a.loghd))\(logs) used \(a.used) of \(a.size)")
        }
        return out + summaryTail(options: options, populate: populate, superblock: superblock, dryRun: dryRun)
    }
}

/// The summary lines both formats end with: the user, the snapshots, the populate, the counters.
func summaryTail(options: FormatOptions, populate: PopulateSummary?, superblock: Superblock, dryRun: Bool) -> [String] {
    var out = [
        "user       \(options.user)",
        "snapshots  empty (gen 0), adm (gen 1), main (gen 2)",
    ]
    if let p = populate {
        out.append("populated  \(p.directories) directories, \(p.files) files, \(p.dataBlocks) data blocks, \(p.holes) holes, \(p.skipped) skipped")
        out.append("main tree  height \(p.tree.height), \(p.tree.nodes) nodes (\(p.tree.nodesPerLevel[0]) leaves)")
    }
    out.append("nextqid    \(superblock.nextqid)")
    out.append("qgen       \(superblock.qgen)")
    if dryRun { out.append("dry run: nothing was written") }
    return out
}

/// `label` padded to the summary's value column.
func column(_ label: String) -> String {
    label.count >= 11 ? label + " " : label + String(repeating: " ", count: 11 - label.count)
}

