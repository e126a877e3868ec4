/// gefs8.00's Tdlist block (FORMAT.md §4, §9.6): type, deadsz, deadp, then addresses; verified
/// through the hashed pointer that reaches it.
extension Gefs8Format {
    public var deadlistCapacity: Int { (Format.blockSize - Gefs8Format.deadlistHeaderSize) / 8 }

    public func verifyDeadlistBlock(_ block: [UInt8], pointer: BlockPointer) throws {
        let h = hash(block)
        guard accepts(stored: pointer.hash, computed: h) else {
            throw FormatError.hashMismatch("block \(hex(pointer.addr))", stored: pointer.hash, computed: h)
        }
    }

    public func encodeDeadlistBlock(_ d: DeadlistBlock) -> [UInt8] {
        precondition(d.addresses.count <= deadlistCapacity)
        var b = [UInt8].zeroBlock()
        b.put(BlockType.deadlist.rawValue, at: 0)
        b.put(UInt16(d.addresses.count * 8), at: 2)
        var w = ByteWriter(capacity: 24); d.next.encode(into: &w)
        b.replaceSubrange(4..<28, with: w.bytes)
        for (i, a) in d.addresses.enumerated() { b.put(a, at: Gefs8Format.deadlistHeaderSize + 8 * i) }
        return b
    }

    public func decodeDeadlistBlock(_ b: [UInt8]) throws -> DeadlistBlock {
        guard b.count == Format.blockSize else { throw FormatError.truncated("deadlist block", needed: Format.blockSize, available: b.count) }
        let t = b.u16(at: 0)
        guard t == BlockType.deadlist.rawValue else { throw FormatError.wrongType(expected: .deadlist, found: t) }
        let deadsz = Int(b.u16(at: 2)), header = Gefs8Format.deadlistHeaderSize
        guard deadsz % 8 == 0, deadsz <= Format.blockSize - header else {
            throw FormatError.invalid("deadlist block", "deadsz \(deadsz) is not a multiple of 8 within the data area")
        }
        var r = ByteReader(b, from: 4, structure: "deadlist block")
        let next = try BlockPointer.decode(&r)
        let addrs = (0..<deadsz / 8).map { b.s64(at: header + 8 * $0) }
        return DeadlistBlock(next: next, addresses: addrs)
    }

    public func deadlistPointer(_ addr: Int64, _ block: [UInt8], gen: Int64) -> BlockPointer {
        BlockPointer(addr: addr, hash: hash(block), gen: gen)
    }

    public func snapshotTreeGen(newest: Int64) -> Int64 { newest }
}
