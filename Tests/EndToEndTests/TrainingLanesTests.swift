import Testing

@Suite("Training lanes: at most n at once, the longest first")
struct TrainingLanesTests {
    /// Holds `seconds`' lane for a few suspensions (so holders would overlap if the lanes let them)
    /// and records the order and the largest number of holders at once.
    func hold(_ lanes: TrainingLanes, estimatedSeconds seconds: Int, recorder: LaneRecorder) async {
        await lanes.acquire(estimatedSeconds: seconds)
        await recorder.enter(seconds)
        for _ in 0..<5 { await Task.yield() }
        try? await Task.sleep(for: .milliseconds(5))
        await recorder.leave()
        await lanes.release()
    }

    /// One lane, three requests: the lane goes to the longest once all three asked, then by length,
    /// never to two at once.
    @Test("one lane serves three requests one at a time, longest first, whatever order they arrive in")
    func longestFirst() async {
        let lanes = TrainingLanes(laneCount: 1, expectedRequests: 3, gatherTimeout: .seconds(60))
        let recorder = LaneRecorder()
        await withTaskGroup(of: Void.self) { group in
            for seconds in [5, 30, 12] {
                group.addTask { await self.hold(lanes, estimatedSeconds: seconds, recorder: recorder) }
            }
        }
        #expect(await recorder.order == [30, 12, 5])
        #expect(await recorder.mostAtOnce == 1)
    }

    /// Two lanes, five requests: two trainings at a time, the two longest first.
    @Test("two lanes serve five requests two at a time, the two longest first")
    func twoLanes() async {
        let lanes = TrainingLanes(laneCount: 2, expectedRequests: 5, gatherTimeout: .seconds(60))
        let recorder = LaneRecorder()
        await withTaskGroup(of: Void.self) { group in
            for seconds in [1, 40, 7, 90, 3] {
                group.addTask { await self.hold(lanes, estimatedSeconds: seconds, recorder: recorder) }
            }
        }
        #expect(Set(await recorder.order.prefix(2)) == [90, 40])
        #expect(await recorder.order.count == 5)
        #expect(await recorder.mostAtOnce == 2)
    }

    /// Fewer requests than expected (a filtered run): the lanes open after the timeout.
    @Test("with fewer requests than expected the lanes open after the gather timeout")
    func timeout() async {
        let lanes = TrainingLanes(laneCount: 2, expectedRequests: 6, gatherTimeout: .milliseconds(50))
        let clock = ContinuousClock(), start = clock.now
        await lanes.acquire(estimatedSeconds: 1)
        await lanes.acquire(estimatedSeconds: 1)
        #expect(clock.now - start >= .milliseconds(50))
    }
}

/// The order in which lane holders entered, and the most that held a lane at once.
actor LaneRecorder {
    private(set) var order: [Int] = []
    private(set) var mostAtOnce = 0
    private var holders = 0

    func enter(_ seconds: Int) {
        order.append(seconds)
        holders += 1
        mostAtOnce = max(mostAtOnce, holders)
    }

    func leave() { holders -= 1 }
}
