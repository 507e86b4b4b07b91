package postgis

// The case list's select list, joins and row scanner, for the benchmark
// of the former catch-all statement (case_list_bench_test.go).
const (
	CaseColumnsForTest = caseColumns
	CaseFromForTest    = caseFrom
)

// ScanCaseForTest is scanCase.
var ScanCaseForTest = scanCase

// CasesQueuedForTest is the number of case reports waiting for a group.
func CasesQueuedForTest(s *CaseStore) int {
	return s.group.waiting()
}
