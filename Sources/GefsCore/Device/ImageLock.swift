#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Advisory locks between gefs-tools processes: flock(2) on the image file or device. A writer
/// takes an exclusive lock, holds it while its device is open, and refuses to write when it
/// cannot have it. A reader holds no lock, so it never waits and never keeps a writer out; it
/// only looks whether a writer holds one (`FileDevice.busy`), to warn that what it reads may
/// change under it.
public enum LockMode: Sendable { case shared, exclusive }

extension FileDevice {
    /// Takes the lock without waiting. Exclusive, it is held until the device closes, and throws
    /// when another process holds a lock (naming it when /proc/locks tells). Shared, it is only
    /// a look: it is let go at once, and `busy` is set when a writer holds the lock.
    public func lock(_ mode: LockMode) throws {
        if flock(fd.rawValue, (mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 {
            if mode == .shared { flock(fd.rawValue, LOCK_UN) }
            return
        }
        let e = errno
        guard e == EWOULDBLOCK else {
            throw DeviceError(path: name, message: "cannot lock: \(String(cString: strerror(e)))")
        }
        if mode == .shared { busy = true; return }
        let who = lockHolders().map { "pid \($0)" }.joined(separator: ", ")
        throw DeviceError(path: name, message: "in use: another process\(who.isEmpty ? "" : " (\(who))") holds a lock on it (gefs-tools lock what they read or write); not writing, try again when it has finished")
    }

    /// The processes /proc/locks says hold a flock on this file, other than this one.
    func lockHolders() -> [Int32] {
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0, let f = fopen("/proc/locks", "r") else { return [] }
        defer { fclose(f) }
        let dev = UInt64(st.st_dev)
        let major = (dev >> 8) & 0xfff | (dev >> 32) & ~0xfff, minor = dev & 0xff | (dev >> 12) & ~0xff
        let me = String(major, radix: 16).leftPadded(2) + ":" + String(minor, radix: 16).leftPadded(2) + ":\(st.st_ino)"
        var out: [Int32] = []
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), f) != nil {
            // `1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF`
            let fields = String(cString: line).split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == me, let pid = Int32(fields[4]), pid != getpid() else { continue }
            if !out.contains(pid) { out.append(pid) }
        }
        return out
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
