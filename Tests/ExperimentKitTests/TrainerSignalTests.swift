#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import ExperimentKit
import Foundation
import Testing

/// The raw bits of the current disposition of `signal` (handler or SIG_DFL/SIG_IGN).
private func dispositionBits(_ signal: Int32) -> UInt {
    var action = sigaction()
    sigaction(signal, nil, &action)
    #if canImport(Glibc)
    return unsafeBitCast(action.__sigaction_handler, to: UInt.self)
    #else
    return unsafeBitCast(action.__sigaction_u, to: UInt.self)
    #endif
}

/// Raises `signal` at this thread. Test-runner worker threads may block signals; unblocking it
/// around `raise` makes the thread-directed signal arrive before `raise` returns.
private func raiseOnThisThread(_ signal: Int32) {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signal)
    var previous = sigset_t()
    pthread_sigmask(SIG_UNBLOCK, &set, &previous)
    raise(signal)
    pthread_sigmask(SIG_SETMASK, &previous, nil)
}

extension TrainerTests {
    @Suite("Trainer: clean stop on signals")
    struct Signals {
        @Test("a signal raised inside iteration k ends the run interrupted with a final checkpoint at step k + 1",
              arguments: [SIGINT, SIGTERM])
        func signalStopsCleanly(_ signal: Int32) throws {
            try withTemporaryDirectory { root in
                let dispositionBefore = dispositionBits(signal)
                let learner = try LinearRegressionLearner()
                learner.onIteration = { iteration in if iteration == 5 { raiseOnThisThread(signal) } }
                let trainer = Trainer(learner: learner, runFolder: root,
                                      configuration: try testConfiguration(steps: 20, checkpointEvery: 100))
                let summary = try trainer.run()
                #expect(summary.interrupted && summary.completedSteps == 6)
                #expect(summary.checkpointStep == 6 && trainer.checkpointFolder.steps() == [6])
                #expect(try MetricsStore.read(root + "/metrics.h5").steps == Array(1...6))
                // The process survived, and the previous disposition is back.
                #expect(dispositionBits(signal) == dispositionBefore)

                // The next run is not affected by the earlier signal.
                let next = try LinearRegressionLearner()
                let resumed = try Trainer(learner: next, runFolder: root, configuration: try testConfiguration(steps: 9)).resume()
                #expect(!resumed.interrupted && resumed.completedSteps == 9)
            }
        }

        @Test("with signal handling off, the trainer leaves the dispositions alone")
        func signalHandlingOff() throws {
            try withTemporaryDirectory { root in
                let before = dispositionBits(SIGINT)
                let learner = try LinearRegressionLearner()
                var during: UInt = 0
                learner.onIteration = { _ in during = dispositionBits(SIGINT) }
                let configuration = try TrainerConfiguration(steps: 2, progress: .silent, handlesInterruptSignals: false)
                _ = try Trainer(learner: learner, runFolder: root, configuration: configuration).run()
                #expect(during == before)
            }
        }

        @Test("while training with signal handling on, SIGINT has the trainer's handler")
        func handlerInstalledDuringTraining() throws {
            try withTemporaryDirectory { root in
                let before = dispositionBits(SIGINT)
                let learner = try LinearRegressionLearner()
                var during: UInt = 0
                learner.onIteration = { _ in during = dispositionBits(SIGINT) }
                _ = try Trainer(learner: learner, runFolder: root, configuration: try testConfiguration(steps: 2)).run()
                #expect(during != before && during != 0)
                #expect(dispositionBits(SIGINT) == before)
            }
        }
    }
}
