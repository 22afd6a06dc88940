import Agents
import CLIProcess
import Tensors
import Foundation
import Testing

@Suite("Checkpoints survive a crash in the middle of a write")
struct CrashSafetyTests {
    @Test("killing a writer mid-save (SIGKILL, 4 random moments) always leaves a loadable latest checkpoint")
    func killDuringWrites() throws {
        let writer = try CLI.executable(named: "CheckpointCrashWriter")
        var stream = RandomStream(seed: 3, purpose: "kill-moments")
        for attempt in 0..<4 {
            let directory = try temporaryFolder("crash-\(attempt)") + "/checkpoints"
            let process = Process()
            process.executableURL = writer
            process.arguments = [directory]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            // Wait for two complete saves, then kill at a random moment of the following ones.
            var text = ""
            let reader = output.fileHandleForReading
            while text.components(separatedBy: "saved ").count - 1 < 2 {
                let data = reader.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            usleep(UInt32(1_000 + Int(stream.nextWord() % 60_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            let folder = CheckpointFolder(directory: directory, keep: 2)
            let latest = try #require(try folder.loadLatest(), "attempt \(attempt): no latest checkpoint")
            #expect(latest.step >= 2)
            #expect(latest.parameters[0].values[0] == Float(latest.step))
            for step in folder.steps() { _ = try CheckpointFile.read(from: folder.path(step: step)) }
        }
    }
}
