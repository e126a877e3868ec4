/// Checking a block against its pointer when no superblock copy is valid, so that there is no
/// opened `Image` to ask which format wrote it (gefs-restore `--scan` on an image whose
/// superblocks are both lost): a block is accepted when one known format's block hash matches
/// the pointer — the pointer's hash itself tells which format wrote the block.
struct DetachedCheck {
    let device: BlockDevice

    func read(_ bp: BlockPointer) throws -> [UInt8] {
        let b = try device.read(at: bp.addr)
        var computed: UInt64 = 0
        for format in DiskFormats.all {
            computed = format.hash(b)
            if format.accepts(stored: bp.hash, computed: computed) { return b }
        }
        throw FormatError.hashMismatch("block \(hex(bp.addr))", stored: bp.hash, computed: computed)
    }
}
