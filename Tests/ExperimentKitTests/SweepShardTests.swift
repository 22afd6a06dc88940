import ExperimentKit
import PropertyBased
import Testing

@Suite("Sweep shards: partition of the runs and scheduler variables")
struct SweepShardTests {
    @Test("the n shards partition every run count: disjoint, and their union is all runs")
    func shardsPartitionTheRuns() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...16), Gen.int(in: 0...200)) { shardCount, runCount in
            var owners = [Int](repeating: 0, count: runCount)
            for index in 0..<shardCount {
                let shard = try! SweepShard(index: index, count: shardCount)
                let runs = shard.runIndices(of: runCount)
                #expect(runs == runs.sorted())
                for run in runs {
                    #expect(shard.contains(run))
                    owners[run] += 1
                }
            }
            #expect(owners.allSatisfy { $0 == 1 }, "every run in exactly one shard")
        }
    }

    @Test("shards are round-robin: shard i of n holds runs i, i + n, i + 2n, …")
    func roundRobin() throws {
        #expect(try SweepShard(parsing: "1/3").runIndices(of: 8) == [1, 4, 7])
        #expect(try SweepShard(parsing: " 0 / 1 ").runIndices(of: 3) == [0, 1, 2])
    }

    @Test("--shard rejects malformed and out-of-range values", arguments: ["3/3", "-1/2", "1/0", "a/b", "2", "1/2/3"])
    func badShards(text: String) {
        #expect(throws: ConfigurationError.self) { try SweepShard(parsing: text) }
    }

    @Test("Slurm array variables give the shard, offset by SLURM_ARRAY_TASK_MIN")
    func slurmDetection() throws {
        #expect(try SweepShard.detect(environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"])
            == SweepShard(index: 3, count: 8))
        #expect(try SweepShard.detect(environment: ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "1"])
            == SweepShard(index: 7, count: 8))
        #expect(throws: ConfigurationError.self) {
            try SweepShard.detect(environment: ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "8"])
        }
        #expect(throws: ConfigurationError.self) { try SweepShard.detect(environment: ["SLURM_ARRAY_TASK_ID": "2"]) }
    }

    @Test("Open MPI rank and size give the shard; Slurm wins when both are set; none gives nil")
    func mpiDetection() throws {
        #expect(try SweepShard.detect(environment: ["OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "4"])
            == SweepShard(index: 2, count: 4))
        #expect(try SweepShard.detect(environment: [
            "OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "4", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "5",
        ]) == SweepShard(index: 1, count: 5))
        #expect(try SweepShard.detect(environment: ["PATH": "/usr/bin"]) == nil)
        #expect(throws: ConfigurationError.self) {
            try SweepShard.detect(environment: ["OMPI_COMM_WORLD_RANK": "4", "OMPI_COMM_WORLD_SIZE": "4"])
        }
    }
}
