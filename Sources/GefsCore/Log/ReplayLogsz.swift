/// The `logsz` rule of FORMAT.md §8.1: a log block's `logsz` is the data offset of its
/// terminator, the LogEnd or LogChain that ends its entries. Replay reads to the first
/// terminator whatever `logsz` says, but a writer that resumes appending at `logsz` would
/// overwrite live entries or leave garbage inside the log, so a `logsz` elsewhere is an error.
/// §8.4's allowance: in the block where replay stops at the committed barrier, `logsz` may
/// point anywhere past that barrier (at the end of uncommitted entries), not before it.
extension Replayer {
    /// At a terminator read before the committed barrier: `logsz` must be its offset.
    mutating func checkLogsz(terminator offset: Int, _ e: LogEntry) {
        guard committed, logsz != offset else { return }
        problem(.logLogszMismatch, "logsz \(hex(logsz)) does not point at the block's terminator: its \(e.op == .chain ? "LogChain" : "LogEnd") is at \(hex(offset))")
    }

    /// At the committed barrier, ending at entry offset `end`: `logsz` must not point before
    /// it (a writer resuming there would overwrite committed entries) nor past the last word.
    mutating func checkLogsz(barrierEnd end: Int) {
        // The last word of the 8-byte grid that starts at data offset 8.
        let last = image.format.lastLogsz
        guard logsz < end || logsz > last || logsz % 8 != 0 else { return }
        let p = Problem(.logLogszMismatch, "logsz \(hex(logsz)) in the block of the committed barrier must lie on the entry grid between the barrier's end \(hex(end)) and the last word \(hex(last))",
                        arena: arena.index, block: block)
        report(p)
    }
}
