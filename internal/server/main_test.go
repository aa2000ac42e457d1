package server_test

import (
	"testing"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

// TestMain runs the end-to-end suite and then requires that, together, its tests
// produced every (operation, status) pair the spec documents.
func TestMain(m *testing.M) { pgtest.Main(m, apitest.CheckCoverage) }
