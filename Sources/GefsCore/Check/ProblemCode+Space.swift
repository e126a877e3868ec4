/// Problems of the space area; codes are added here as checks are written.
extension ProblemCode {
    static let spaceCodes: [ProblemCode] = []
}
