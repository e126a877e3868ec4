#if canImport(Glibc)
import Glibc
#endif
#if canImport(Dispatch)
import Dispatch
#endif

/// A data block waiting to be read and hashed, and the Kdat key naming it (for messages).
struct PendingData {
    var bp: BlockPointer
    var key: [UInt8]
}

/// Reads and hashes the data blocks a tree walk meets (FORMAT.md §3), on the other cores while
/// the walk goes on. Blocks are gathered in batches; each full batch is handed to a worker,
/// which sorts it by address, reads each run of neighbouring blocks with one pread into a
/// buffer it reuses, and hashes the blocks in place: no copy and no allocation per block.
/// A run that cannot be read, or a block whose hash differs, goes the slow way (one block at a
/// time), which words the problem. At most `inFlight` batches wait or run at once, so memory
/// stays bounded however fast the walk is. `finish` waits for every batch and returns the
/// problems in the order the blocks were met: the output never depends on timing.
final class DataVerifier {
    let image: Image
    /// Blocks per batch.
    static let batchBlocks = 4096
    /// Blocks per pread at most: a run of neighbours is hashed while it is in the cache.
    static let runBlocks = 32
    static let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    static let inFlight = 2 * cores

    var pending: [PendingData] = []
    /// The tree `pending` comes from (a batch never spans trees).
    var tree = ""
    /// The batches handed out since the last `finish`, in order, each filled in by its worker.
    var batches: [Batch] = []
    let group = DispatchGroup()
    let slots = DispatchSemaphore(value: DataVerifier.inFlight)

    /// One batch's problems, in batch order, once its worker is done.
    final class Batch { var problems: [Problem] = [] }

    init(image: Image) {
        self.image = image
        pending.reserveCapacity(DataVerifier.batchBlocks)
    }

    /// Queues a block of `tree` (the tree being walked).
    func add(_ d: PendingData, tree: String) {
        if pending.isEmpty { self.tree = tree }
        pending.append(d)
        if pending.count >= DataVerifier.batchBlocks { submit() }
    }

    /// Hands the pending blocks to a worker; waits while `inFlight` batches are out.
    func submit() {
        guard !pending.isEmpty else { return }
        let work = pending, tree = self.tree, image = self.image, out = Batch()
        pending.removeAll(keepingCapacity: true)
        batches.append(out)
        slots.wait()
        DispatchQueue.global().async(group: group) { [slots] in
            out.problems = DataVerifier.verify(work, tree: tree, image: image)
            slots.signal()
        }
    }

    /// Waits for every block queued so far; returns their problems in the order queued.
    func finish() -> [Problem] {
        submit()
        group.wait()
        defer { batches = [] }
        return batches.flatMap(\.problems)
    }

    /// Reads and hashes one batch in address order; returns its problems in batch order.
    static func verify(_ batch: [PendingData], tree: String, image: Image) -> [Problem] {
        let B = Format.blockSize
        let order = batch.indices.sorted { batch[$0].bp.addr < batch[$1].bp.addr }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: runBlocks * B, alignment: 4096)
        defer { buffer.deallocate() }
        var found: [(Int, Problem)] = []
        let format = image.format
        var start = 0
        while start < order.count {
            // The run: neighbours in address order, at most runBlocks.
            var end = start + 1
            while end < order.count, end - start < runBlocks,
                  batch[order[end]].bp.addr == batch[order[end - 1]].bp.addr + Format.blockSize64 { end += 1 }
            let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(end - start) * B])
            let read = (try? image.device.read(at: batch[order[start]].bp.addr, into: bytes)) != nil
            for k in start..<end {
                let i = order[k], o = (k - start) * B
                if read, format.accepts(stored: batch[i].bp.hash, computed: format.hash(UnsafeRawBufferPointer(rebasing: bytes[o..<o + B]))) {
                    continue
                }
                if let p = slowVerify(batch[i], tree: tree, image: image) { found.append((i, p)) }
            }
            start = end
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The slow way: one block, read and hashed on its own; words the problem.
    static func slowVerify(_ d: PendingData, tree: String, image: Image) -> Problem? {
        do { _ = try image.read(d.bp) } catch let e as FormatError {
            return Problem(.dataHashMismatch, "\(KeyRange.show(d.key)): \(e)", block: d.bp.addr, in: tree)
        } catch {
            return Problem(.dataUnreadable, "\(KeyRange.show(d.key)): \(error)", block: d.bp.addr, in: tree)
        }
        return nil
    }
}
