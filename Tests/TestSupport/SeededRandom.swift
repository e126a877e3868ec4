import GefsCore
import GefsSynthetic

/// A seeded generator (GefsSynthetic's SplitMix64) with helpers, so that every run of a randomized
/// test tries the same inputs and a failure can be replayed.
public struct SeededRandom: RandomNumberGenerator {
    var base: SplitMix64
    public init(seed: UInt64) { base = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { base.next() }
    public mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
    public mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
    public mutating func s64() -> Int64 { Int64(bitPattern: next()) }
}
