import Foundation
import Synchronization

/// Work that runs on every lane of a ``ParallelLanes`` at once.
///
/// `run(lane:of:)` is called concurrently with lane = 0 (the calling thread) … laneCount − 1. Lanes
/// coordinate through ``ParallelLanes/barrier()`` only; each must write disjoint memory between
/// barriers. Conformers are classes so the pool can hold them without copying or allocating.
public protocol LaneWork: AnyObject {
    func run(lane: Int, of laneCount: Int)
}

/// A fixed set of worker threads that run one ``LaneWork`` on all lanes and wait for it: the
/// toolkit's own data parallelism inside a training step (one lane per core).
///
/// Why not OpenBLAS's threads: a step alternates many short matrix products with element-wise work.
/// With OpenBLAS threading, every product wakes its workers and the element-wise work runs on one
/// core while the other spins. With lanes, each core runs OpenBLAS single-threaded on its half of the
/// rows (or columns) and does its half of the element-wise work, and the lanes meet only at the few
/// barriers the algorithm needs. Set `BLASRuntime.threadCount = 1` while lanes are in use.
///
/// Dispatch and barriers spin on atomics (a few hundred nanoseconds); a worker idle for more than a
/// few milliseconds sleeps on a semaphore, so an idle pool costs nothing. Nothing is allocated per
/// dispatch. Results are deterministic: the split of work between lanes is fixed by the lane count.
public final class ParallelLanes: @unchecked Sendable {
    /// Number of lanes, including the calling thread.
    public let laneCount: Int
    /// Everything the worker threads touch. Workers hold it strongly and never the pool itself, so
    /// a pool released at any moment (even before its threads have started) stops them cleanly.
    private let state: LaneState

    /// Starts `laneCount − 1` worker threads. Throws-free: a count below 1 is treated as 1.
    public init(laneCount: Int) {
        self.laneCount = max(1, laneCount)
        let state = LaneState(laneCount: self.laneCount)
        self.state = state
        for lane in 1..<self.laneCount {
            let thread = Thread { state.workerLoop(lane: lane) }
            thread.name = "consistency-td.lane.\(lane)"
            thread.start()
        }
    }

    deinit { state.stop() }

    /// Runs `work` on every lane and returns when all lanes have finished.
    public func run(_ work: LaneWork) { state.run(work) }

    /// Waits until every lane has reached this barrier. Every lane must call it the same number of times.
    public func barrier() { state.barrier() }

    /// The part of `0..<count` that lane `lane` of `laneCount` handles (contiguous, sizes differ by ≤ 1).
    public static func share(of count: Int, lane: Int, of laneCount: Int) -> Range<Int> {
        let base = count / laneCount, extra = count % laneCount
        let start = lane * base + min(lane, extra)
        return start..<(start + base + (lane < extra ? 1 : 0))
    }
}

/// The dispatch and barrier state of a ``ParallelLanes`` pool, shared with its worker threads.
final class LaneState: @unchecked Sendable {
    let laneCount: Int

    private let dispatchGeneration = Atomic<Int>(0)
    private let finishedWorkers = Atomic<Int>(0)
    private let barrierArrivals = Atomic<Int>(0)
    private let barrierGeneration = Atomic<Int>(0)
    private let sleepingWorkers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    /// The work of the current dispatch; written before the generation is published.
    private nonisolated(unsafe) var currentWork: LaneWork?

    /// Spins this many times waiting for work before a worker goes to sleep (a few milliseconds).
    static let spinsBeforeSleeping = 200_000

    init(laneCount: Int) { self.laneCount = laneCount }

    /// Tells every worker to exit and waits until all have.
    func stop() {
        stopping.store(true, ordering: .releasing)
        dispatchGeneration.add(1, ordering: .releasing)
        for _ in 1..<laneCount { wakeUp.signal() }
        for _ in 1..<laneCount { stopped.wait() }
    }

    func run(_ work: LaneWork) {
        guard laneCount > 1 else {
            work.run(lane: 0, of: 1)
            return
        }
        currentWork = work
        finishedWorkers.store(0, ordering: .relaxed)
        dispatchGeneration.add(1, ordering: .releasing)
        let sleeping = sleepingWorkers.exchange(0, ordering: .acquiringAndReleasing)
        for _ in 0..<sleeping { wakeUp.signal() }
        work.run(lane: 0, of: laneCount)
        var spins = 0
        while finishedWorkers.load(ordering: .acquiring) < laneCount - 1 { spinPause(&spins) }
        currentWork = nil
    }

    func barrier() {
        guard laneCount > 1 else { return }
        let generation = barrierGeneration.load(ordering: .acquiring)
        if barrierArrivals.add(1, ordering: .acquiringAndReleasing).newValue == laneCount {
            barrierArrivals.store(0, ordering: .relaxed)
            barrierGeneration.add(1, ordering: .releasing)
        } else {
            var spins = 0
            while barrierGeneration.load(ordering: .acquiring) == generation { spinPause(&spins) }
        }
    }

    func workerLoop(lane: Int) {
        var seen = 0
        while true {
            var spins = 0
            var generation = dispatchGeneration.load(ordering: .acquiring)
            while generation == seen {
                if spins < Self.spinsBeforeSleeping {
                    spinPause(&spins)
                } else {
                    sleepingWorkers.add(1, ordering: .acquiringAndReleasing)
                    if dispatchGeneration.load(ordering: .acquiring) == seen { wakeUp.wait() }
                    spins = 0
                }
                generation = dispatchGeneration.load(ordering: .acquiring)
            }
            seen = generation
            if stopping.load(ordering: .acquiring) {
                stopped.signal()
                return
            }
            currentWork?.run(lane: lane, of: laneCount)
            finishedWorkers.add(1, ordering: .releasing)
        }
    }
}

/// One iteration of a spin-wait: yields the core every 256 iterations, so spinning lanes never
/// starve other work when the machine has fewer free cores than lanes.
@inline(__always)
private func spinPause(_ spins: inout Int) {
    spins &+= 1
    if spins & 255 == 0 { sched_yield() }
}
