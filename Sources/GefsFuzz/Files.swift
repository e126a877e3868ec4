#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GefsCore

/// The few file operations the fuzz tools need, without Foundation.
public enum Files {
    /// The whole file.
    public static func read(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw DeviceError(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            out += buf[0..<n]
        }
        guard ferror(f) == 0 else { throw DeviceError(path: path, message: "read failed") }
        return out
    }

    public static func write(_ path: String, _ bytes: [UInt8]) throws {
        guard let f = fopen(path, "wb") else { throw DeviceError(path: path, message: "cannot create: \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        guard bytes.withUnsafeBytes({ fwrite($0.baseAddress, 1, $0.count, f) }) == bytes.count else {
            throw DeviceError(path: path, message: "write failed")
        }
    }

    /// Creates a directory (and its parents) when missing.
    public static func makeDirectory(_ path: String) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            mkdir(prefix, 0o755)
            prefix += "/"
        }
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Regular files under `path` (itself when it is one), sorted.
    public static func list(_ path: String) -> [String] {
        guard isDirectory(path) else { return [path] }
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name == "." || name == ".." { continue }
            out += list(path + "/" + name)
        }
        return out.sorted()
    }
}
