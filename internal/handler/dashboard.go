package handler

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/db"
)

// ListDashboardUsers returns a page of users with their order figures and five newest
// orders, in two statements whatever the page size: one for the page with its
// aggregates, one for the recent orders of every user on it.
func (h *Handler) ListDashboardUsers(ctx context.Context, req api.ListDashboardUsersRequestObject) (api.ListDashboardUsersResponseObject, error) {
	if err := requireStaff(ctx, "read the dashboard"); err != nil {
		return nil, err
	}
	r, err := h.listPage("dashboardUsers", "-createdAt", req.Params.Page, req.Params.Limit, req.Params.Cursor, nil)
	if err != nil {
		return nil, err
	}
	rows, err := h.q.DashboardUsers(ctx, db.DashboardUsersParams{
		AfterKey: r.afterKey(), AfterID: r.afterID(), RowLimit: r.rowLimit(), RowOffset: r.offset})
	if err != nil {
		return nil, dbError(err)
	}
	// The total is the maintained count of users: on a page past the end, with no row
	// to carry it, the user list's count query without filters reads the same counter.
	total, fromCounter, err := pageTotal(len(rows), func() (int64, bool) { return rows[0].Total, true }, r,
		func() (db.UserCountRow, error) { return h.q.UserCount(ctx, db.UserCountParams{CountLimit: countLimit}) })
	if err != nil {
		return nil, err
	}
	n, pg := h.finish(r, len(rows), total, fromCounter, func(i int) (string, uuid.UUID) {
		return timeKey(rows[i].CreatedAt), rows[i].ID
	})
	rows = rows[:n]
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	recent := map[uuid.UUID][]api.RecentOrder{}
	if len(ids) > 0 {
		orders, err := h.q.DashboardRecentOrders(ctx, ids)
		if err != nil {
			return nil, dbError(err)
		}
		for _, o := range orders {
			recent[o.UserID] = append(recent[o.UserID], api.RecentOrder{
				Id: o.ID, Status: api.OrderStatus(o.Status), TotalCents: o.TotalCents, CreatedAt: o.CreatedAt.UTC(),
			})
		}
	}
	out := make([]api.DashboardUser, len(rows))
	for i, r := range rows {
		d := api.DashboardUser{
			User: toUser(db.UserDetail{
				ID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role, Active: r.Active,
				CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Phone: r.Phone, Company: r.Company,
				AddressLine1: r.AddressLine1, AddressLine2: r.AddressLine2, City: r.City,
				PostalCode: r.PostalCode, Country: r.Country, ProfileUpdatedAt: r.ProfileUpdatedAt,
			}),
			OrderCount:      r.OrderCount,
			TotalSpentCents: r.TotalSpentCents,
			RecentOrders:    recent[r.ID],
		}
		if d.RecentOrders == nil {
			d.RecentOrders = []api.RecentOrder{}
		}
		if r.OrderCount > 0 { // without orders the query's stand-in time means "none"
			t := r.LastOrderAt.UTC()
			d.LastOrderAt = &t
		}
		out[i] = d
	}
	return api.ListDashboardUsers200JSONResponse{Success: api.True, Data: out, Pagination: pg}, nil
}

// SummaryRankLimit is how far down the all-time ranking of products the summary
// looks for a period's best sellers before it sums every product sold in the period
// instead (top_sellers in schema/00004).
const SummaryRankLimit = 20000

// SummaryPeriod splits the period [from, to) (nil bounds are open) into the whole UTC
// days that DashboardSummary reads from the maintained figures and the partial days
// at its edges that it reads from the rows. A period inside one day is all edge.
func SummaryPeriod(from, to *time.Time) db.DashboardSummaryParams {
	p := db.DashboardSummaryParams{RankLimit: SummaryRankLimit}
	if from != nil {
		f := from.UTC()
		first := f.Truncate(24 * time.Hour)
		if !first.Equal(f) {
			first = first.Add(24 * time.Hour)
			p.Edge1From, p.Edge1To = &f, &first
		}
		p.DayFrom = &first
	}
	if to != nil {
		t := to.UTC()
		end := t.Truncate(24 * time.Hour)
		if !end.Equal(t) {
			p.Edge2From, p.Edge2To = &end, &t
		}
		p.DayTo = &end
	}
	if p.DayFrom != nil && p.DayTo != nil && !p.DayFrom.Before(*p.DayTo) {
		// No whole day inside: the rows of [from, to) are the whole answer, and the day
		// range is left empty.
		f, t := from.UTC(), to.UTC()
		return db.DashboardSummaryParams{DayFrom: p.DayFrom, DayTo: p.DayFrom, Edge1From: &f, Edge1To: &t, RankLimit: p.RankLimit}
	}
	return p
}

// GetDashboardSummary returns the business figures for a period in one statement.
func (h *Handler) GetDashboardSummary(ctx context.Context, req api.GetDashboardSummaryRequestObject) (api.GetDashboardSummaryResponseObject, error) {
	if err := requireStaff(ctx, "read the dashboard"); err != nil {
		return nil, err
	}
	p := req.Params
	if p.From != nil && p.To != nil && !p.From.Before(*p.To) {
		return nil, apperr.Validation(apperr.Detail("from", api.Query, "must be before to"))
	}
	r, err := h.q.DashboardSummary(ctx, SummaryPeriod(p.From, p.To))
	if err != nil {
		return nil, dbError(err)
	}
	s := api.DashboardSummary{
		From: utc(p.From), To: utc(p.To),
		UsersTotal: r.UsersTotal, UsersNew: r.UsersNew, OrdersTotal: r.OrdersTotal,
		RevenueCents: r.RevenueCents, TopProducts: make([]api.TopProduct, len(r.TopIds)),
	}
	byStatus := map[string]*int64{
		"pending": &s.OrdersByStatus.Pending, "paid": &s.OrdersByStatus.Paid, "shipped": &s.OrdersByStatus.Shipped,
		"delivered": &s.OrdersByStatus.Delivered, "cancelled": &s.OrdersByStatus.Cancelled,
	}
	for i, name := range r.StatusNames {
		if n, ok := byStatus[name]; ok {
			*n = r.StatusCounts[i]
		}
	}
	for i := range r.TopIds {
		s.TopProducts[i] = api.TopProduct{ProductId: r.TopIds[i], Sku: r.TopSkus[i], Name: r.TopNames[i],
			Units: r.TopUnits[i], RevenueCents: r.TopRevenueCents[i]}
	}
	return api.GetDashboardSummary200JSONResponse{Success: api.True, Data: s}, nil
}
