import Foundation
import Testing
import Environments

@Suite("Time grids: Karras, uniform, log-uniform, explicit")
struct ScheduleTimeGridTests {
    @Test("Karras grid starts at t_min and ends at t_max exactly")
    func karrasEndpoints() throws {
        let grid = try TimeGrid.karras(count: 18, minimum: 0.002, maximum: 80)
        #expect(grid.count == 18)
        #expect(grid.ascending.first == 0.002)
        #expect(grid.ascending.last == 80)
        #expect(grid.minimum == 0.002 && grid.maximum == 80)
    }

    @Test("Karras grid interior points match hand values: t_min = 1, t_max = 128 = 2⁷, ρ = 7")
    func karrasInteriorHandValues() throws {
        // t_max^{1/7} = 2, t_min^{1/7} = 1: t_i = (1 + (i − 1)/(N − 1))^7.
        let three = try TimeGrid.karras(count: 3, minimum: 1, maximum: 128)
        #expect(three.ascending[1] == 17.0859375)            // 1.5^7
        let five = try TimeGrid.karras(count: 5, minimum: 1, maximum: 128)
        #expect(abs(five.ascending[1] - 4.76837158203125) < 1e-12)   // 1.25^7
        #expect(abs(five.ascending[3] - 50.26507568359375) < 1e-12)  // 1.75^7
    }

    @Test("Karras grid with the defaults: middle of three points is ((0.002^{1/7} + 80^{1/7})/2)^7 ≈ 2.5152")
    func karrasDefaultMiddle() throws {
        let grid = try TimeGrid.karras(count: 3)
        #expect(abs(grid.ascending[1] - 2.515218976147159) < 1e-12)
    }

    @Test("Karras grid is strictly ascending and its descending view walks from t_max to t_min")
    func descendingOrder() throws {
        let grid = try TimeGrid.karras(count: 40)
        for i in 1..<grid.count { #expect(grid.ascending[i] > grid.ascending[i - 1]) }
        #expect(grid.descending == Array(grid.ascending.reversed()))
        #expect(grid.descendingTime(atStep: 0) == 80)
        #expect(grid.descendingTime(atStep: grid.count - 1) == 0.002)
        #expect(grid.time(oneBasedIndex: 1) == 0.002)
        #expect(grid.intervalCount == 39)
    }

    @Test("Uniform and log-uniform grids have equal gaps in t and in ln t")
    func uniformAndLogUniform() throws {
        let uniform = try TimeGrid.uniform(count: 5, minimum: 1, maximum: 9)
        #expect(uniform.ascending == [1, 3, 5, 7, 9])
        let geometric = try TimeGrid.logUniform(count: 4, minimum: 1, maximum: 1000)
        let expected = [1.0, 10, 100, 1000]
        for (value, target) in zip(geometric.ascending, expected) { #expect(abs(value - target) < 1e-9 * target) }
    }

    @Test("An explicit descending list is stored ascending")
    func explicitDescending() throws {
        let grid = try TimeGrid.explicit([80, 1, 0.5, 0.002])
        #expect(grid.ascending == [0.002, 0.5, 1, 80])
        #expect(grid.descending == [80, 1, 0.5, 0.002])
    }

    @Test("Invalid grids throw errors that say what is wrong and what is expected")
    func invalidGridsThrowReadableErrors() throws {
        #expect(throws: TimeGridError.minimumTimeNotPositive(0)) { try TimeGrid.karras(count: 10, minimum: 0, maximum: 80) }
        #expect(throws: TimeGridError.minimumTimeNotBelowMaximum(minimum: 5, maximum: 5)) {
            try TimeGrid.uniform(count: 10, minimum: 5, maximum: 5)
        }
        #expect(throws: TimeGridError.tooFewPoints(1)) { try TimeGrid.logUniform(count: 1) }
        #expect(throws: TimeGridError.nonFinite(name: "t_max", value: .infinity)) {
            try TimeGrid.karras(count: 10, maximum: .infinity)
        }
        #expect(throws: TimeGridError.exponentNotPositive(-1)) { try TimeGrid.karras(count: 10, exponent: -1) }
        #expect(throws: TimeGridError.notStrictlyMonotone(index: 2, previous: 2, next: 2)) {
            try TimeGrid.explicit([1, 2, 2, 3])
        }
        #expect(throws: TimeGridError.minimumTimeNotPositive(-1)) { try TimeGrid.explicit([-1, 2]) }
        #expect(throws: TimeGridError.self) { try TimeGrid.explicit([1, .nan, 3]) }

        let messages: [(TimeGridError, [String])] = [
            (.minimumTimeNotPositive(0), ["t_min = 0.0", "expected t_min > 0"]),
            (.minimumTimeNotBelowMaximum(minimum: 5, maximum: 5), ["not below t_max", "expected t_min < t_max"]),
            (.tooFewPoints(1), ["1 point", "N ≥ 2"]),
            (.nonFinite(name: "t_max", value: .infinity), ["t_max = inf", "finite"]),
            (.notStrictlyMonotone(index: 2, previous: 2, next: 2), ["index 2", "strictly monotone", "ascending or all descending"]),
        ]
        for (error, fragments) in messages {
            for fragment in fragments {
                #expect(error.description.contains(fragment), "“\(error.description)” should mention “\(fragment)”")
            }
        }
    }
}
