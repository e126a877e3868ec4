/// Problems of the log area; codes are added here as checks are written.
extension ProblemCode {
    static let logCodes: [ProblemCode] = []
}
