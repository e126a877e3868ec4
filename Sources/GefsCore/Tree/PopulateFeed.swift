/// The records a populate puts into main, kind by kind, each in key order (FORMAT.md §11):
/// read from the host directory when writing, or made up from the census when planning — as
/// many records of the same sizes, so the same tree shape and the same allocations.
public struct PopulateFeed {
    public let census: HostCensus
    /// nil when writing; when planning, how many data blocks there are.
    public let plan: DataPlan?

    public init(census: HostCensus, plan: DataPlan?) {
        self.census = census
        self.plan = plan
    }

    /// Calls `body(qid, offset, block)` for every data block of every file, by qid then offset
    /// (the order of their `Kdat` keys). A plan gives `plan.dataBlocks` empty blocks of qid 0.
    public func forEachDataBlock(_ body: (UInt64, Int64, [UInt8]) throws -> Void) throws {
        if let plan {
            let empty = [UInt8]()
            for i in 0..<plan.dataBlocks { try body(0, Int64(i) * Format.blockSize64, empty) }
            return
        }
        try census.walk(entry: { e in try e.forEachDataBlock { try body(e.qid, $0, $1) } })
    }

    /// Calls `body` for every populated entry, root left out, in the order of their `Kent` keys
    /// (by parent, name length, name). A plan gives entries of qid 0 with names of the lengths
    /// found.
    public func forEachEntry(_ body: (HostEntry) throws -> Void) throws {
        guard plan == nil else {
            for d in census.directories {
                for run in d.nameLengths {
                    let e = HostEntry(path: [], name: [UInt8](repeating: 0x78, count: run.length), parent: d.qid, qid: 0,
                                      isDirectory: false, permissions: 0, mtime: 0, length: 0)
                    for _ in 0..<run.count { try body(e) }
                }
            }
            return
        }
        try census.walk(directory: { _, entries in try entries.sorted(by: HostEntry.keyOrder).forEach(body) })
    }

    /// Every populated directory's `Kup` record's qid and value (its own key), root left out,
    /// by qid.
    public var ups: [(qid: UInt64, key: Key)] { census.directories.dropFirst().map { ($0.qid, $0.key) } }
}
