// The seed papers' claims (iCT, ECT, SCT, sLCT) reproduced at toy scale, each with its effect and
// standard error over seeds and a verdict.
//
//     swift run -c release PaperClaims --quick
//     swift run -c release PaperClaims --help
//
// See PaperClaimsCommand.swift for what runs and Experiments/README.md for sizes and run times.
PaperClaimsCommand.main()
