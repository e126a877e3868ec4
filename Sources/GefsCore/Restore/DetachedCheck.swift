/// Checking a block against its pointer when no superblock copy is valid, so that there is no
/// opened `Image` to ask (gefs-restore `--scan` on an image whose superblocks are both lost).
///
/// This is the one place restore names a format's block hash. A block is accepted when one of
/// the known formats' block hashes matches the pointer; today that is gefs8.00's XXH3-64
/// (FORMAT.md §2). When another format's hash plugs in behind `Image`, it is added here too:
/// the pointer's hash itself tells which format wrote the block.
struct DetachedCheck {
    let device: BlockDevice

    /// The block hashes tried, in turn.
    static let hashes: [(name: String, hash: ([UInt8]) -> UInt64)] = [
        ("gefs8.00", { XXH3.hash($0) }),
    ]

    func read(_ bp: BlockPointer) throws -> [UInt8] {
        let b = try device.read(at: bp.addr)
        var computed: UInt64 = 0
        for h in DetachedCheck.hashes {
            computed = h.hash(b)
            if XXH3.accepts(stored: bp.hash, computed: computed) { return b }
        }
        throw FormatError.hashMismatch("block \(hex(bp.addr))", stored: bp.hash, computed: computed)
    }
}
