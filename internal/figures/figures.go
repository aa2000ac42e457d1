// Package figures keeps the maintained figures of schema/00004 cheap to read. The
// write paths' triggers append signed deltas in the writing transaction; Folder moves
// them into the folded tables in the background. Readers add the folded rows and the
// deltas left, so the figures are exact whether or not a fold has run; folding only
// keeps the deltas few.
package figures

import (
	"context"
	"log/slog"
	"time"

	"github.com/shopfloor/shopfloor/internal/db"
)

// Run folds the deltas every interval until ctx ends. A failure (the database down,
// say) is logged once when folding starts to fail and once when it works again, not
// on every tick; several instances may run it at once (figures_fold lets one through).
func Run(ctx context.Context, conn db.DBTX, every time.Duration, log *slog.Logger) {
	q := db.New(conn)
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, err := q.FiguresFold(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			failing = true
			log.WarnContext(ctx, "folding the maintained figures failed; retrying every interval", "interval", every.String(), "cause", err.Error())
		case err == nil && failing:
			failing = false
			log.InfoContext(ctx, "folding the maintained figures works again")
		}
	}
}
