import GefsCore
#if canImport(Glibc)
import Glibc
#endif

/// The seed corpus, drawn from the project's fixtures: the bases themselves, and every damaged
/// image of gefs-fsck's corpus as a patch of its closest base; for the block targets, the
/// superblocks, arena copies, log blocks and tree nodes of the bases and the blocks the corpus
/// damaged.
public enum FuzzSeeds {
    public typealias Seed = (name: String, bytes: [UInt8])

    /// Seeds per target. `corpus` holds (name, image bytes) of damaged images.
    public static func make(bases: [[UInt8]], corpus: [(name: String, image: [UInt8])]) -> [FuzzTarget: [Seed]] {
        var patches: [Seed] = bases.indices.map { ("base\($0)", [UInt8($0)]) }
        var undos: [Seed] = []
        var blocks: [BlockKindSeed: [Seed]] = [:]
        for (i, b) in bases.enumerated() { collect(base: b, name: "base\(i)", into: &blocks) }
        for c in corpus {
            let candidates = bases.indices.compactMap { ImagePatch.diff(base: $0, bases[$0], c.image) }
            guard let p = candidates.min(by: { $0.weight < $1.weight }) else { continue }
            patches.append((c.name, p.encoded))
            if p.base == 0, undos.count < 4, let u = undoFile(of: p.device(bases)) { undos.append((c.name, u)) }
            let B = Format.blockSize
            for case let .bytes(blk, _, _) in p.edits where (blk + 1) * B <= c.image.count {
                let b = Array(c.image[blk * B..<(blk + 1) * B])
                if let k = BlockKindSeed(b) { blocks[k, default: []].append(("\(c.name)-\(hex(Int64(blk * B)))", trimmed(b))) }
            }
        }
        var out: [FuzzTarget: [Seed]] = [:]
        for t in FuzzTarget.allCases where !t.needsGefs9 {
            switch t {
            case .fsck, .repair, .logdump: out[t] = patches
            case .superblock: out[t] = blocks[.superblock] ?? []
            case .arena: out[t] = blocks[.arena] ?? []
            case .log: out[t] = blocks[.log] ?? []
            case .leaf, .pivot: out[t] = (blocks[.leaf] ?? []) + (blocks[.pivot] ?? [])
            case .undo: out[t] = undos
            case .superblock9, .arena9, .log9, .dlist9, .fsck9: break
            }
            out[t] = unique(out[t]!)
        }
        return out
    }

    /// Seeds of the gefs9.00 targets, from the genuine bases (`Fixtures/samples9`): both
    /// superblocks, the arena headers, every log block of the committed chains, every deadlist
    /// block; for `fsck9`, each base as it is and patches that rewrite the first bytes of a
    /// landmark block (superblocks, arena headers, log blocks, tree roots, deadlist heads) with
    /// what is there, so that the fuzzer starts from records on the blocks that matter.
    public static func make9(bases9: [[UInt8]]) -> [FuzzTarget: [Seed]] {
        var out: [FuzzTarget: [Seed]] = [.superblock9: [], .arena9: [], .log9: [], .dlist9: [], .fsck9: []]
        let B = Format.blockSize64
        for (i, base) in bases9.enumerated() {
            let dev = PatchedDevice(base: base)
            guard let img = try? Image(device: dev) else { continue }
            let name = "base9-\(i)"
            func add(_ t: FuzzTarget, _ addr: Int64) {
                guard let b = try? dev.read(at: addr) else { return }
                out[t]!.append(("\(name)-\(hex(addr))", trimmed(b)))
            }
            let sb1 = (dev.blockCount - 1) * B
            add(.superblock9, 0); add(.superblock9, sb1)
            var landmarks: [Int64] = [0, sb1]
            for a in img.arenas {
                add(.arena9, a.base)
                landmarks.append(a.base)
                let logs = Replay.arena(img, a.index).logBlocks
                for l in logs { add(.log9, l) }
                landmarks += logs.prefix(2)
            }
            let reader = TreeReader(img)
            landmarks.append(img.superblock.snapRoot.addr)
            if let c = try? reader.snapshotContents() {
                landmarks += c.snapshots.map(\.root.addr)
                for d in c.deadlists {
                    landmarks.append(d.ref.head.addr)
                    var next = d.ref.head.addr
                    for _ in 0..<64 where next >= 0 {
                        add(.dlist9, next)
                        guard let b = try? dev.read(at: next), let blk = try? img.format.decodeDeadlistBlock(b) else { break }
                        next = blk.next.addr
                    }
                }
            }
            out[.fsck9]!.append((name, [UInt8(i)]))
            for addr in Set(landmarks).sorted() where addr >= 0 && addr % B == 0 && addr / B < Int64(ImagePatch.resizeMark) {
                guard let b = try? dev.read(at: addr) else { continue }
                let p = ImagePatch(base: i, edits: [.bytes(block: Int(addr / B), offset: 0, Array(b.prefix(64)))])
                out[.fsck9]!.append(("\(name)-\(hex(addr))", p.encoded))
            }
        }
        for t in out.keys { out[t] = unique(out[t]!) }
        return out
    }

    /// The undo file of gefs-fsck -y on `dev`, when the repair writes something.
    static func undoFile(of dev: PatchedDevice) -> [UInt8]? {
        let path = FuzzHarness.undoScratch + "-seed"
        unlink(path)
        defer { unlink(path) }
        guard (try? Image(device: dev)) != nil, let w = try? UndoWriter(path: path, image: dev),
              let through = try? Image(device: UndoDevice(dev, undo: w)) else { return nil }
        let c = Checker(image: through)
        c.run()
        guard (try? Repairer(checker: c, mode: .all).repair()) != nil, (try? w.finish()) != nil, w.savedCount > 0 else { return nil }
        return try? Files.read(path)
    }

    enum BlockKindSeed: Hashable {
        case superblock, arena, log, leaf, pivot
        init?(_ b: [UInt8]) {
            if DiskFormats.named(byMagicOf: b) != nil { self = .superblock; return }
            switch b.u16(at: 0) {
            case BlockType.arena.rawValue: self = .arena
            case BlockType.log.rawValue: self = .log
            case BlockType.leaf.rawValue: self = .leaf
            case BlockType.pivot.rawValue: self = .pivot
            default: return nil
            }
        }
    }

    /// Superblock, arena copies, log blocks and up to 16 tree nodes of a base.
    static func collect(base: [UInt8], name: String, into out: inout [BlockKindSeed: [Seed]]) {
        let dev = PatchedDevice(base: base)
        guard let img = try? Image(device: dev) else { return }
        var addrs: [Int64] = [0]
        for a in img.arenas { addrs += [a.base] + Replay.arena(img, a.index).logBlocks }
        let reader = TreeReader(img)
        var nodes: [Int64] = []
        var trees = [reader.snapshotTree]
        if let c = try? reader.snapshotContents() { trees += c.snapshots.map { reader.tree($0) } }
        for t in trees {
            reader.walk(t, node: { v in if nodes.count < 16, !nodes.contains(v.pointer.addr) { nodes.append(v.pointer.addr) } },
                        problem: { _ in })
        }
        for addr in addrs + nodes {
            guard let b = try? dev.read(at: addr), let k = BlockKindSeed(b) else { continue }
            out[k, default: []].append(("\(name)-\(hex(addr))", trimmed(b)))
        }
    }

    /// A block without its trailing zeros (the targets pad with zeros).
    static func trimmed(_ b: [UInt8]) -> [UInt8] {
        var n = b.count
        while n > 0, b[n - 1] == 0 { n -= 1 }
        return Array(b.prefix(n))
    }

    static func unique(_ seeds: [Seed]) -> [Seed] {
        var seen = Set<[UInt8]>()
        return seeds.filter { seen.insert($0.bytes).inserted }
    }
}
