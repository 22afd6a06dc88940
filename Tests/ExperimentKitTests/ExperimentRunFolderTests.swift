import Agents
import ExperimentKit
import Foundation
import HDF5
import Tensors
import Testing

@Suite("Run folders: name, resolved config.yaml and provenance.json")
struct ExperimentRunFolderTests {
    @Test("the folder is runs/<experiment>__<method>__seed<k>__<timestamp> and never reuses an existing one")
    func folderNames() throws {
        try withTemporaryDirectory { directory in
            let configuration = try ExperimentConfiguration.load(text: "experiment: ring\nmethod: ict\nseed: 4")
            let date = Date(timeIntervalSince1970: 1_700_000_000)
            let first = try ExperimentRunFolder.create(for: configuration, under: directory, date: date, commandLine: ["x"])
            let second = try ExperimentRunFolder.create(for: configuration, under: directory, date: date, commandLine: ["x"])
            #expect(first.path == directory + "/ring__ict__seed4__20231114-221320")
            #expect(second.path == first.path + "-2")
            #expect(throws: ConfigurationError.self) {
                try ExperimentRunFolder.create(for: configuration, path: first.path, commandLine: ["x"])
            }
        }
    }

    @Test("config.yaml holds the resolved configuration and reads back equal")
    func configurationRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let configuration = try ExperimentConfiguration.load(text: "method: slct", overrides: ["training.learning_rate=2.5e-4"])
            let folder = try ExperimentRunFolder.create(for: configuration, under: directory, commandLine: ["x"])
            #expect(try folder.configuration() == configuration)
            #expect(try String(contentsOfFile: folder.configurationPath, encoding: .utf8) == configuration.yaml())
        }
    }

    @Test("provenance.json records the build, host, thread count and command line")
    func provenance() throws {
        try withTemporaryDirectory { directory in
            let configuration = try ExperimentConfiguration.load(text: "method: ect")
            let folder = try ExperimentRunFolder.create(for: configuration, under: directory,
                                                        commandLine: ["consistency-td", "train", "--set", "seed=1"])
            let provenance = try folder.provenance()
            #expect(provenance.commandLine == ["consistency-td", "train", "--set", "seed=1"])
            #expect(provenance.hostname == ProcessInfo.processInfo.hostName)
            #expect(provenance.build.hdf5Version == HDF5Library.version)
            #expect(provenance.build.openBLASThreads == BLASRuntime.threadCount)
            #expect(provenance.build.openBLASConfiguration == BLASRuntime.configuration)
            #expect(provenance.build.toolkitVersion == ToolkitVersion.current)
            #expect(!provenance.build.gitDescribe.isEmpty)
            let json = try String(contentsOfFile: folder.provenancePath, encoding: .utf8)
            #expect(json.contains("\"command_line\"") && json.contains("\"hdf5Version\""))
        }
    }
}
