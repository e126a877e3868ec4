/// Problems of the tree area; codes are added here as checks are written.
extension ProblemCode {
    static let treeCodes: [ProblemCode] = []
}
