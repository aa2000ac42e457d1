package database

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A query with an optional filter or a pattern search must carry the
// PlanPerExecution mark: prepared once and run on PostgreSQL's generic plan, it
// would lose the index its set filters need. This guards the queries added later.
func TestQueriesWithOptionalFiltersArePlannedPerExecution(t *testing.T) {
	files, err := filepath.Glob("../../queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no queries found: %v", err)
	}
	// "sqlc.narg('x')::type IS NULL OR": a filter that applies only when set;
	// "coalesce(sqlc.narg('from')::timestamptz, '-infinity')": a range that is
	// everything when unset; and LIKE patterns.
	optional := regexp.MustCompile(`(?i)sqlc\.narg\([^)]*\)(::\w+)?\s+IS\s+NULL\s+OR|coalesce\(sqlc\.narg\([^)]*\)(::\w+)?,\s*'-?infinity'|\bI?LIKE\b`)
	// Queries whose optional filter cannot change the plan.
	exempt := map[string]string{
		"ProductUpdate": "selects one row by primary key; expected_version only rechecks it",
	}
	marked, unmarked := 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range strings.Split(string(src), "-- name: ")[1:] {
			name, _, _ := strings.Cut(q, " ")
			needs := optional.MatchString(q) && exempt[name] == ""
			switch has := strings.Contains(q, PlanPerExecution); {
			case needs && !has:
				t.Errorf("%s (%s) has optional filters or a pattern but no %q line", name, filepath.Base(f), PlanPerExecution)
			case has && !needs:
				t.Errorf("%s (%s) is marked %q but has no optional filter or pattern", name, filepath.Base(f), PlanPerExecution)
			case has:
				marked++
			default:
				unmarked++
			}
		}
	}
	if marked == 0 || unmarked == 0 {
		t.Fatalf("%d marked and %d unmarked queries: the check matched nothing", marked, unmarked)
	}
	t.Logf("%d queries planned per execution, %d on cached plans", marked, unmarked)
}
