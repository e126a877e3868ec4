#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a line to standard error.
public func printError(_ line: String) {
    var s = line
    s += "\n"
    _ = s.withCString { fputs($0, stderr) }
}
