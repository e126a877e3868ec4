/// The records a populate puts into main, kind by kind, each in key order (FORMAT.md §11):
/// read from the host directory when writing, or made up from the census when planning — as
/// many records of the same sizes, so the same tree shape and the same allocations.
///
/// Writing walks the host directory once more (the census was the first walk): the data pass
/// reads the files and, as it lists each directory, puts the directory's `Kent` records in a
/// temporary file, which the entry pass reads back; so both come from one look at each file.
public final class PopulateFeed {
    public let census: HostCensus
    /// nil when writing; when planning, how many data blocks there are.
    public let plan: DataPlan?
    /// The `Kent` records the data pass found, directory by directory.
    var entries: SpillFile?

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
        let spill = try SpillFile()
        entries = spill
        try census.walk(directory: { _, found in
            for i in found.keyOrder() {
                let r = found.entry(Int(i)).record
                try spill.append(r.key + r.value)
            }
        }, entry: { e, place in try place.forEachDataBlock(of: e) { try body(e.qid, $0, $1) } })
    }

    /// Calls `body` with every populated entry's `Kent` record, root left out, in key order (by
    /// parent, name length, name); when writing, after `forEachDataBlock`. A plan gives records
    /// of qid 0 with names of the lengths found.
    public func forEachEntry(_ body: (Record) throws -> Void) throws {
        guard plan == nil else {
            for d in census.directories {
                for run in d.nameLengths {
                    let e = HostEntry(name: [UInt8](repeating: 0x78, count: run.length), parent: d.qid, qid: 0,
                                      isDirectory: false, permissions: 0, mtime: 0, length: 0)
                    for _ in 0..<run.count { try body(e.record) }
                }
            }
            return
        }
        guard let spill = entries else { preconditionFailure("forEachEntry before forEachDataBlock") }
        try spill.rewind()
        // A Kent key: kind, parent, a 16-bit name length, the name, a 0 byte.
        while let head = try spill.read(11), let rest = try spill.read(Int(head.u16(at: 9)) + 1 + Xdir.size) {
            try body(Record(key: head + rest.dropLast(Xdir.size), value: Array(rest.suffix(Xdir.size))))
        }
    }

    /// Every populated directory's `Kup` record's qid and value (its own key), root left out,
    /// by qid.
    public var ups: [(qid: UInt64, key: Key)] { census.directories.dropFirst().map { ($0.qid, $0.key) } }
}
