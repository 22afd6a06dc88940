import Agents
import Foundation
import Testing

@Suite("Non-finite losses and gradients: skip and count, or zero")
struct LossNonFiniteTests {
    static func apply(_ policy: NonFinitePolicy, loss: Double, gradient: inout [Float]) -> NonFiniteCheck {
        gradient.withUnsafeMutableBufferPointer { policy.apply(loss: loss, gradient: $0.baseAddress!, count: $0.count) }
    }

    @Test("a finite loss and gradient apply the update and leave the buffer alone under both policies")
    func finiteStep() {
        for policy in [NonFinitePolicy.default, .zeroNonFinite] {
            let original: [Float] = (0..<40).map { Float($0) * 0.25 - 3 }
            var gradient = original
            let check = Self.apply(policy, loss: 1.5, gradient: &gradient)
            #expect(check == NonFiniteCheck(lossIsFinite: true, nonFiniteGradientEntries: 0, appliesUpdate: true))
            #expect(check.isFinite && gradient == original)
        }
    }

    @Test("skip-and-count detects a NaN or ±∞ loss, and one NaN or ±∞ gradient entry at any position, without touching the buffer")
    func skipDetectsEveryNonFiniteValue() {
        let bad: [Float] = [.nan, .infinity, -.infinity]
        for value in [Double.nan, .infinity, -.infinity] {
            var gradient = [Float](repeating: 0.5, count: 37)
            let check = Self.apply(.default, loss: value, gradient: &gradient)
            #expect(check == NonFiniteCheck(lossIsFinite: false, nonFiniteGradientEntries: 0, appliesUpdate: false))
        }
        for value in bad {
            for position in 0..<37 {
                var gradient = [Float](repeating: 0.5, count: 37)
                gradient[position] = value
                let before = gradient
                let check = Self.apply(.skipAndCount(maximumConsecutive: 3), loss: 2, gradient: &gradient)
                #expect(check == NonFiniteCheck(lossIsFinite: true, nonFiniteGradientEntries: 1, appliesUpdate: false))
                #expect(zip(gradient, before).allSatisfy { $0.bitPattern == $1.bitPattern })
            }
        }
    }

    @Test("the zero policy zeroes exactly the non-finite entries and keeps every finite one bit for bit")
    func zeroPolicyZeroesExactlyTheNonFiniteEntries() {
        var gradient: [Float] = (0..<50).map { Float($0) - 20.5 }
        gradient[3] = .nan
        gradient[17] = .infinity
        gradient[18] = -.infinity
        gradient[49] = -.nan
        gradient[30] = .greatestFiniteMagnitude
        gradient[31] = -.leastNonzeroMagnitude
        let before = gradient
        let check = Self.apply(.zeroNonFinite, loss: .nan, gradient: &gradient)
        #expect(check == NonFiniteCheck(lossIsFinite: false, nonFiniteGradientEntries: 4, appliesUpdate: true))
        for i in gradient.indices {
            if [3, 17, 18, 49].contains(i) {
                #expect(gradient[i] == 0)
            } else {
                #expect(gradient[i].bitPattern == before[i].bitPattern)
            }
        }
    }

    @Test("the counter counts skips, resets the run of skips on an applied update and stops after the limit in a row")
    func counterStopsAfterConsecutiveSkips() throws {
        var counter = try NonFiniteStepCounter(policy: .skipAndCount(maximumConsecutive: 3))
        let skipped = NonFiniteCheck(lossIsFinite: false, nonFiniteGradientEntries: 2, appliesUpdate: false)
        let applied = NonFiniteCheck(lossIsFinite: true, nonFiniteGradientEntries: 0, appliesUpdate: true)
        try counter.record(skipped, iteration: 0)
        try counter.record(skipped, iteration: 1)
        try counter.record(applied, iteration: 2)
        #expect(counter.skippedSteps == 2 && counter.consecutiveSkippedSteps == 0)
        try counter.record(skipped, iteration: 3)
        try counter.record(skipped, iteration: 4)
        do {
            try counter.record(skipped, iteration: 5)
            Issue.record("the third consecutive skip did not stop the run")
        } catch {
            #expect(error.iteration == 5 && error.consecutiveSkippedSteps == 3)
            #expect(error.description.contains("iteration 5") && error.description.contains("3 consecutive"))
        }
        #expect(counter.skippedSteps == 5)
    }

    @Test("under the zero policy the counter never stops the run and totals the zeroed entries")
    func zeroPolicyCounter() throws {
        var counter = try NonFiniteStepCounter(policy: .zeroNonFinite)
        for iteration in 0..<100 {
            try counter.record(NonFiniteCheck(lossIsFinite: true, nonFiniteGradientEntries: 3, appliesUpdate: true), iteration: iteration)
        }
        #expect(counter.zeroedEntries == 300 && counter.skippedSteps == 0)
    }

    @Test("a limit below one consecutive step and inconsistent restored counts are rejected")
    func invalidSettings() {
        #expect { try NonFinitePolicy.skipAndCount(maximumConsecutive: 0).validate() } throws: { error in
            "\(error)".contains("at least 1")
        }
        #expect(throws: LossSettingError.self) { try NonFiniteStepCounter(skippedSteps: 1, consecutiveSkippedSteps: 2) }
    }
}
