import ArgumentParser
import GefsCore
struct Tool: ParsableCommand { func run() throws {} }
Tool.main()
