import Testing

@Suite("Training lanes: at most n at once, the longest first")
struct TrainingLanesTests {
    /// One lane, three requests: the lane goes to the longest once all three asked, then by length.
    @Test("one lane serves three requests longest first, whatever order they arrive in")
    func longestFirst() async {
        let lanes = TrainingLanes(laneCount: 1, expectedRequests: 3, gatherTimeout: .seconds(60))
        let order = OrderRecorder()
        await withTaskGroup(of: Void.self) { group in
            for seconds in [5, 30, 12] {
                group.addTask {
                    await lanes.acquire(estimatedSeconds: seconds)
                    await order.append(seconds)
                    await lanes.release()
                }
            }
        }
        #expect(await order.values == [30, 12, 5])
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

private actor OrderRecorder {
    var values: [Int] = []
    func append(_ value: Int) { values.append(value) }
}
