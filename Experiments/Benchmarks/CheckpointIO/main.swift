// consistency-td-checkpoint-bench: times saving and loading a checkpoint of the 3.35 M-parameter
// reference network (D 64, W 1024: BENCHMARK.md §2) — parameters only, one float32 dataset per
// parameter, one chunk each with Fletcher-32 — through the toolkit's atomic writer and validating
// reader. `peers/checkpoint_io.py` writes and reads the same arrays with h5py for the comparison.
//
//     swift run -c release consistency-td-checkpoint-bench [--repetitions 20] [--directory /tmp] [--json]
import Agents
import Foundation
import NeuralNetworks

var repetitions = 20
var directory = NSTemporaryDirectory()
var json = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--repetitions": repetitions = Int(arguments.next() ?? "") ?? repetitions
    case "--directory": directory = arguments.next() ?? directory
    case "--json": json = true
    case "--help", "-h":
        print("usage: consistency-td-checkpoint-bench [--repetitions N] [--directory DIR] [--json]")
        exit(0)
    default:
        FileHandle.standardError.write(Data("unknown option \(argument); see --help\n".utf8))
        exit(2)
    }
}

let network = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 64, width: 1024, depth: 4), seed: 0)
let path = (directory as NSString).appendingPathComponent("consistency-td-checkpoint-bench.h5")
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 0 ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
}
var saves: [Double] = [], loads: [Double] = []
for _ in 0..<(repetitions + 2) {
    let checkpoint = Checkpoint(step: 1, method: "benchmark", seed: 0, store: network.store)
    saves.append(try seconds { try CheckpointFile.write(checkpoint, to: path) })
    loads.append(try seconds {
        let loaded = try CheckpointFile.read(from: path)
        try loaded.restore(into: network.store, path: path)
    })
}
saves.removeFirst(2)
loads.removeFirst(2)
try? FileManager.default.removeItem(atPath: path)
let megabytes = Double(network.parameterCount * 4) / 1e6
if json {
    print(#"{"fw": "consistency-td", "parameters": \#(network.parameterCount), "save_ms": \#(median(saves) * 1e3), "load_ms": \#(median(loads) * 1e3)}"#)
} else {
    print("parameters: \(network.parameterCount) (\(String(format: "%.1f", megabytes)) MB)")
    print(String(format: "save (atomic: write, fsync, rename, fsync dir) median %.2f ms", median(saves) * 1e3))
    print(String(format: "load (validate, checksums, restore)           median %.2f ms", median(loads) * 1e3))
}
