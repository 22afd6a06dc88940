import Foundation

/// Seconds per phase of one environment's study (training, each estimator column of each diagnostics
/// run, the bootstrap standard errors), printed after the study so a slow run shows where its time
/// went. Both the wall time and the process CPU time (`CLOCK_PROCESS_CPUTIME_ID`, all threads) are
/// kept: on a machine shared with other jobs the wall time mostly measures the load, the CPU time
/// the work. Phases keep the order in which they were first timed.
final class PhaseProfile {
    private(set) var phases: [(name: String, wall: Double, cpu: Double)] = []

    /// The process CPU time in seconds.
    static func cpuSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// A point in time for ``add(_:since:)``: (wall, CPU).
    static func now() -> (wall: Date, cpu: Double) { (Date(), cpuSeconds()) }

    /// Adds the wall and CPU time since `start` to the phase `name`; returns the current ``now()``.
    @discardableResult
    func add(_ name: String, since start: (wall: Date, cpu: Double)) -> (wall: Date, cpu: Double) {
        let end = Self.now()
        let wall = end.wall.timeIntervalSince(start.wall), cpu = end.cpu - start.cpu
        if let k = phases.firstIndex(where: { $0.name == name }) {
            phases[k].wall += wall
            phases[k].cpu += cpu
        } else {
            phases.append((name, wall, cpu))
        }
        return end
    }

    /// Runs `body` and adds its time to the phase `name`.
    func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = Self.now()
        defer { add(name, since: start) }
        return try body()
    }

    /// One line per phase, largest CPU time first, with the totals.
    func report(environment: String) -> [String] {
        let wall = phases.reduce(0) { $0 + $1.wall }, cpu = phases.reduce(0) { $0 + $1.cpu }
        return [String(format: "  profile · %@ · CPU %.1f s · wall %.1f s", environment, cpu, wall)]
            + phases.sorted { $0.cpu > $1.cpu }.map { String(format: "    CPU %8.2f s · wall %8.2f s  %@", $0.cpu, $0.wall, $0.name) }
    }
}
