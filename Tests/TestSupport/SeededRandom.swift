/// A small seeded generator (SplitMix64), so that every run of a randomized test tries the same
/// inputs and a failure can be replayed.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    public mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
    public mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
    public mutating func s64() -> Int64 { Int64(bitPattern: next()) }
}
