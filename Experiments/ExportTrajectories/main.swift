// Trajectory datasets of the ring of 8 from the exact policy, the teacher (Euler and Heun) and a trained
// consistency model's multistep sampler, with f* and TD targets attached, in the compact and Minari
// layouts, plus a per-policy summary: `swift run -c release ExportTrajectories --help`.
ExportTrajectoriesCommand.main()
