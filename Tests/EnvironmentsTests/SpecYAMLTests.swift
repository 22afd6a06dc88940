import Environments
import Foundation
import Testing

@Suite("Distribution specs in YAML")
struct SpecYAMLTests {
    @Test("a YAML Gaussian-mixture spec decodes to the same spec as its JSON form")
    func yamlEqualsJSON() throws {
        let yaml = """
            kind: gaussian-mixture
            weights: [1, 3]
            means: [[-1, 0], [1, 0.5]]
            stds: [0.1, 0.2]
            sigma_min: 0.002
            sigma_max: 80
            """
        let json = #"{"kind": "gaussian-mixture", "weights": [1, 3], "means": [[-1, 0], [1, 0.5]], "stds": [0.1, 0.2], "sigma_min": 0.002, "sigma_max": 80}"#
        #expect(try DistributionSpec.decode(yaml: yaml) == DistributionSpec.decode(json: Data(json.utf8)))
    }

    @Test("YAML specs fail with the same readable errors: unknown kind, NaN, not a mapping")
    func yamlErrors() {
        #expect { try DistributionSpec.decode(yaml: "kind: spiral\n") } throws: { "\($0)".contains("gaussian-mixture") }
        #expect { try DistributionSpec.decode(yaml: "kind: gaussian-mixture\nweights: [1]\nmeans: [[0]]\nstds: [.nan]\n") } throws: { error in
            "\(error)".lowercased().contains("finite") || "\(error)".contains("NaN")
        }
        #expect(throws: DistributionSpecError.self) { try DistributionSpec.decode(yaml: "- 1\n- 2\n") }
        #expect(throws: DistributionSpecError.self) { try DistributionSpec.decode(yaml: "kind: [unclosed\n") }
    }
}
