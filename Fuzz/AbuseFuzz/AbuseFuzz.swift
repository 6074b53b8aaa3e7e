import Foundation
import FuzzTargets

#if FUZZING
/// The target libFuzzer drives, named by `ABUSE_FUZZ_TARGET` (scripts/fuzz sets it).
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["ABUSE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
        fatalError("set ABUSE_FUZZ_TARGET to one of: \(FuzzTarget.all.map(\.name).joined(separator: ", "))")
    }
    return target
}()

/// libFuzzer's entry point (built with -sanitize=fuzzer,address by scripts/fuzz).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// libFuzzer's driver (the fuzzer runtime's own `main` is not used: SwiftPM names the
/// executable's entry point itself).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
struct AbuseFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
    }
}
#else
/// Without the fuzzer: replays inputs through a target (a crash found becomes a
/// reproducible run), lists the targets, or writes their seed corpora.
@main
struct AbuseFuzz {
    static let usage = """
        usage: abuse-fuzz list
               abuse-fuzz replay TARGET FILE|DIR...
               abuse-fuzz seed [REPOSITORY]   (writes Fuzz/Corpus/<target>/seed-* from the fixtures)
        Fuzzing itself: scripts/fuzz [--seconds N] [TARGET...]
        """

    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "list":
            for target in FuzzTarget.all { print(target.name) }
        case "replay" where arguments.count >= 3:
            guard let target = FuzzTarget.named(arguments[1]) else { fail("no target \(arguments[1])") }
            var count = 0
            for path in arguments.dropFirst(2) {
                for file in inputs(path) {
                    let bytes = try Data(contentsOf: file)
                    bytes.withUnsafeBytes { target.run($0) }
                    count += 1
                }
            }
            print("\(target.name): \(count) input(s) replayed without a failure")
        case "seed":
            let repository = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : FileManager.default.currentDirectoryPath)
            for target in FuzzTarget.all {
                let folder = repository.appendingPathComponent("Fuzz/Corpus/\(target.name)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let seeds = try target.seeds(repository)
                for seed in seeds { try Data(seed.bytes).write(to: folder.appendingPathComponent("seed-\(seed.name)")) }
                print("\(target.name): \(seeds.count) seed(s) in \(folder.path)")
            }
        default:
            fail(usage)
        }
    }

    /// The files of `path`: itself, or the regular files in it (not hidden), sorted.
    static func inputs(_ path: String) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { fail("\(path) does not exist") }
        guard isDirectory.boolValue else { return [URL(fileURLWithPath: path)] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { URL(fileURLWithPath: path).appendingPathComponent($0) }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("abuse-fuzz: \(message)\n".utf8))
        exit(2)
    }
}
#endif
