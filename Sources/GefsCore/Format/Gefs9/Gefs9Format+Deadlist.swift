/// gefs9.00 deadlist blocks (FORMAT-9FRONT.md §9.6): the log block's header with type 4 —
/// `logsz` bytes of 8-byte addresses (no op bits), `logh` their body hash, `logp` the next
/// **older** block — at most 2039 addresses a block. Checked by the body hash, never by the
/// pointer that reached them (whose hash is −1).
extension Gefs9Format {
    /// Throws `FormatError.hashMismatch` when the body hash fails; the pointer is not looked at.
    public func verifyDeadlistBlock(_ block: [UInt8], pointer: BlockPointer) throws {
        let (logsz, stored) = try Gefs9Format.deadlistHeader(block)
        let computed = Gefs9Format.bodyHash(block, logsz: logsz)
        guard accepts(stored: stored, computed: computed) else {
            throw FormatError.hashMismatch("deadlist block \(hex(pointer.addr))", stored: stored, computed: computed)
        }
    }

    /// The addresses and `logp` (hash and gen as stored). Throws on a wrong type or a `logsz`
    /// that is not a multiple of 8 within the entry area; the body hash is
    /// `verifyDeadlistBlock`'s.
    public func decodeDeadlistBlock(_ block: [UInt8]) throws -> DeadlistBlock {
        let (logsz, _) = try Gefs9Format.deadlistHeader(block)
        var r = ByteReader(block, from: 12, structure: "deadlist block")
        let next = try BlockPointer.decode(&r)
        let addrs = (0..<logsz / 8).map { block.s64(at: Gefs9Format.logHeaderSize + 8 * $0) }
        return DeadlistBlock(next: next, addresses: addrs)
    }

    /// Type 4, exact `logsz`, `logh`, `logp` as given — except that a `next` with address −1 is
    /// written (−1, 0, 0), as the genuine writer ends a chain — the addresses, zeros beyond.
    public func encodeDeadlistBlock(_ d: DeadlistBlock) -> [UInt8] {
        precondition(d.addresses.count <= Gefs9Format.deadlistCapacity,
                     "\(d.addresses.count) addresses, at most \(Gefs9Format.deadlistCapacity) fit")
        var b = [UInt8].zeroBlock()
        b.put(BlockType.deadlist.rawValue, at: 0)
        let logsz = d.addresses.count * 8
        b.put(UInt16(logsz), at: 2)
        let next = d.next.isNull ? BlockPointer(addr: Format.none, hash: 0, gen: 0) : d.next
        b.put(next.addr, at: 12); b.put(next.hash, at: 20); b.put(next.gen, at: 28)
        for (i, a) in d.addresses.enumerated() { b.put(a, at: Gefs9Format.logHeaderSize + 8 * i) }
        b.put(Gefs9Format.bodyHash(b, logsz: logsz), at: 4)
        return b
    }

    /// `logsz` and the stored `logh` of a Tdlist block.
    static func deadlistHeader(_ block: [UInt8]) throws -> (logsz: Int, logh: UInt64) {
        guard block.count == blockSize else { throw FormatError.truncated("deadlist block", needed: blockSize, available: block.count) }
        let t = block.u16(at: 0)
        guard t == BlockType.deadlist.rawValue else { throw FormatError.wrongType(expected: .deadlist, found: t) }
        let logsz = Int(block.u16(at: 2))
        guard logszIsValid(logsz) else {
            throw FormatError.invalid("deadlist block", "logsz \(logsz) is not a multiple of 8 within \(logSpace) bytes")
        }
        return (logsz, block.u64(at: 4))
    }

    /// Hash −1 and gen 0: what the genuine writer stores; readers follow the address only.
    public func deadlistPointer(_ addr: Int64, _ block: [UInt8], gen: Int64) -> BlockPointer {
        BlockPointer(addr: addr, hash: UInt64.max, gen: 0)
    }

    /// The snapshot tree's blocks are born with gen 0 (§9.5).
    public func snapshotTreeGen(newest: Int64) -> Int64 { 0 }
}
