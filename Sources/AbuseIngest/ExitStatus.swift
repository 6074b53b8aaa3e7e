import ArgumentParser

/// The exit codes of FORMATS.md §1.
enum ExitStatus {
    static let success = ExitCode(0)
    static let failure = ExitCode(1)
    static let usage = ExitCode(2)
    /// Done, but some input was rejected.
    static let rejectedInput = ExitCode(3)
}
