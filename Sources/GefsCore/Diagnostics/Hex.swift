/// `0x`-prefixed lower-case hexadecimal, the form every tool prints addresses and hashes in.
@inlinable public func hex<T: BinaryInteger>(_ v: T) -> String {
    if v < 0 { return "-0x" + String(v.magnitude, radix: 16) }
    return "0x" + String(v, radix: 16)
}
