// A test helper, not a tool: saves checkpoints of a 2-million-parameter network into the folder given
// as its argument, forever, printing "saved <step>" after each save. The checkpoint tests kill it with
// SIGKILL at random moments (often mid-write) and check that `latest` still loads.
import Agents
import Foundation
import NeuralNetworks

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: CheckpointCrashWriter <checkpoint folder>\n".utf8))
    exit(2)
}
let folder = CheckpointFolder(directory: CommandLine.arguments[1], keep: 2)
let network = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 8, width: 700, depth: 4), seed: 1)
var step = 0
while true {
    step += 1
    network.store.values[0] = Float(step)  // each checkpoint is distinguishable
    try folder.save(Checkpoint(step: step, method: "crash-test", seed: 1, store: network.store))
    print("saved \(step)")
    fflush(nil)
}
