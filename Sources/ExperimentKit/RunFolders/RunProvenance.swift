import Agents
import Foundation

/// What `provenance.json` of a run folder records (DESIGN.md §6, STYLE.md §10): the build
/// (``Provenance``: toolkit version, `git describe` or "unknown", libhdf5 version, OpenBLAS build,
/// kernel family and thread count) plus the machine and the invocation — host name, processor count
/// and the command line — and when the run folder was made (ISO 8601, UTC).
public struct RunProvenance: Codable, Equatable, Sendable {
    public var build: Provenance
    public var hostname: String
    public var processorCount: Int
    public var commandLine: [String]
    public var created: String

    public init(build: Provenance, hostname: String, processorCount: Int, commandLine: [String], created: String) {
        self.build = build
        self.hostname = hostname
        self.processorCount = processorCount
        self.commandLine = commandLine
        self.created = created
    }

    /// This process's provenance at `date` (`commandLine` defaults to the process's arguments).
    public static func current(commandLine: [String] = CommandLine.arguments, date: Date = Date()) -> RunProvenance {
        RunProvenance(build: .current, hostname: ProcessInfo.processInfo.hostName,
                      processorCount: ProcessInfo.processInfo.activeProcessorCount, commandLine: commandLine,
                      created: ISO8601DateFormatter().string(from: date))
    }

    /// The build fields at the top level (as the Trainer's `provenance.json` has them), then the rest.
    enum Keys: String, CodingKey { case hostname, processorCount = "processor_count", commandLine = "command_line", created }

    public init(from decoder: Decoder) throws {
        build = try Provenance(from: decoder)
        let c = try decoder.container(keyedBy: Keys.self)
        hostname = try c.decode(String.self, forKey: .hostname)
        processorCount = try c.decode(Int.self, forKey: .processorCount)
        commandLine = try c.decode([String].self, forKey: .commandLine)
        created = try c.decode(String.self, forKey: .created)
    }

    public func encode(to encoder: Encoder) throws {
        try build.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(hostname, forKey: .hostname)
        try c.encode(processorCount, forKey: .processorCount)
        try c.encode(commandLine, forKey: .commandLine)
        try c.encode(created, forKey: .created)
    }
}
