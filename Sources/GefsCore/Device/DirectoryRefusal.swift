import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DeviceError {
    /// A directory given where an image belongs. Opening one read-only succeeds and every read
    /// then fails with EISDIR (at a size lseek reports as about 2^63), so it is refused by name,
    /// once, before anything is read.
    public static func isDirectory(_ path: String) -> DeviceError {
        DeviceError(path: path, message: isDirectoryMessage)
    }

    public static let isDirectoryMessage = "is a directory, not an image file or block device"
}

extension FileDevice {
    /// Whether the open descriptor is a directory.
    static func isDirectory(_ fd: FileDescriptor) -> Bool {
        var st = stat()
        return fstat(fd.rawValue, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }
}
