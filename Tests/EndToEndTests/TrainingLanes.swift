import Foundation

/// Lets at most `laneCount` training children run at once, the longest first.
///
/// The training-quality tests each train in a child process on one OpenBLAS thread. Started all at
/// once, six children would share two cores with each other and with the rest of the test run for
/// their whole length. With one child per core the cores are shared without oversubscription, and
/// starting the longest training first keeps the suite's critical path at that one training: the
/// others fit on the second lane beside it.
///
/// Tests call ``acquire(estimatedSeconds:)`` before they start their child and ``release()`` after it
/// ended. Lanes are first handed out when every expected test has asked for one, or `gatherTimeout`
/// after the first request (a filtered run starts only some of them), so the order does not depend on
/// which test the runner happens to start first.
actor TrainingLanes {
    /// The lanes of the training-quality suite (its six tests): one per core (two on the CI machine).
    static let shared = TrainingLanes(laneCount: max(1, ProcessInfo.processInfo.activeProcessorCount), expectedRequests: 6,
                                      gatherTimeout: .seconds(10))

    private struct Waiter {
        let estimatedSeconds: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private var freeLanes: Int
    private let expectedRequests: Int
    private let gatherTimeout: Duration
    private var waiting: [Waiter] = []
    private var requests = 0
    private var gathering = true

    init(laneCount: Int, expectedRequests: Int, gatherTimeout: Duration) {
        precondition(laneCount > 0, "need at least one lane")
        freeLanes = laneCount
        self.expectedRequests = expectedRequests
        self.gatherTimeout = gatherTimeout
    }

    /// Returns when a lane is this caller's: the longest waiting training (by its estimate) goes first.
    func acquire(estimatedSeconds: Int) async {
        requests += 1
        if requests == 1 {
            let timeout = gatherTimeout
            Task {
                try? await Task.sleep(for: timeout)
                self.endGathering()
            }
        }
        await withCheckedContinuation { continuation in
            waiting.append(Waiter(estimatedSeconds: estimatedSeconds, continuation: continuation))
            if requests >= expectedRequests { gathering = false }
            grant()
        }
    }

    /// Frees the caller's lane for the next waiting training.
    func release() {
        freeLanes += 1
        grant()
    }

    private func endGathering() {
        gathering = false
        grant()
    }

    private func grant() {
        guard !gathering else { return }
        while freeLanes > 0, let longest = waiting.indices.max(by: { waiting[$0].estimatedSeconds < waiting[$1].estimatedSeconds }) {
            freeLanes -= 1
            waiting.remove(at: longest).continuation.resume()
        }
    }
}
