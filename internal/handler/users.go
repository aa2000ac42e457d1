package handler

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/db"
)

const userNotFound = "No user has this id"

// toUser converts a user row to the API's shape; the password hash is not in the row.
func toUser(u db.UserDetail) api.User {
	return api.User{
		Id:        u.ID,
		Email:     api.Email(u.Email),
		Name:      u.Name,
		Role:      api.Role(u.Role),
		Active:    u.Active,
		CreatedAt: u.CreatedAt.UTC(),
		UpdatedAt: u.UpdatedAt.UTC(),
		Profile: api.Profile{
			Phone:        u.Phone,
			Company:      u.Company,
			AddressLine1: u.AddressLine1,
			AddressLine2: u.AddressLine2,
			City:         u.City,
			PostalCode:   u.PostalCode,
			Country:      u.Country,
			UpdatedAt:    utc(u.ProfileUpdatedAt),
		},
	}
}

// ListUsers pages through accounts for staff and admins.
func (h *Handler) ListUsers(ctx context.Context, req api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if !caller.IsStaff() {
		return nil, apperr.Forbidden("Only staff and admins may list users")
	}
	p := req.Params
	sort := api.ListUsersParamsSortMinusCreatedAt
	if p.Sort != nil {
		sort = *p.Sort
	}
	var role *string
	if p.Role != nil {
		r := string(*p.Role)
		role = &r
	}
	filter := db.UserCountParams{Pattern: likePattern(p.Q), Role: role, CountLimit: countLimit}
	r, err := h.listPage("users", string(sort), p.Page, p.Limit, p.Cursor, filter)
	if err != nil {
		return nil, err
	}
	rows, err := h.userPage(ctx, sort, filter, r)
	if err != nil {
		return nil, dbError(err, "")
	}
	total, fromCounter, err := pageTotal(len(rows), func() (int64, bool) { return rows[0].Total, rows[0].TotalFromCounter }, r,
		func() (db.UserCountRow, error) { return h.q.UserCount(ctx, filter) })
	if err != nil {
		return nil, err
	}
	n, pg := h.finish(r, len(rows), total, fromCounter, func(i int) (string, uuid.UUID) {
		return userSortKey(sort, rows[i].UserDetail), rows[i].UserDetail.ID
	})
	users := make([]api.User, n)
	for i, r := range rows[:n] {
		users[i] = toUser(r.UserDetail)
	}
	return api.ListUsers200JSONResponse{Success: api.True, Data: users, Pagination: pg}, nil
}

// userSortKey is a user's value of the sort's leading key, as the list queries read a
// cursor's after_key (they lower-case names and emails themselves).
func userSortKey(sort api.ListUsersParamsSort, u db.UserDetail) string {
	switch sort {
	case api.ListUsersParamsSortEmail:
		return u.Email
	case api.ListUsersParamsSortName:
		return u.Name
	}
	return timeKey(u.CreatedAt)
}

type userRow struct {
	UserDetail       db.UserDetail
	Total            int64
	TotalFromCounter bool
}

// userRows converts any of the list queries' rows, which share one shape.
func userRows[R ~struct {
	UserDetail       db.UserDetail
	Total            int64
	TotalFromCounter bool
}](rows []R, err error) ([]userRow, error) {
	out := make([]userRow, len(rows))
	for i, r := range rows {
		out[i] = userRow(r)
	}
	return out, err
}

// userPage runs the list query for the sort asked for, each served by its own index.
func (h *Handler) userPage(ctx context.Context, sort api.ListUsersParamsSort, f db.UserCountParams, r pageReq) ([]userRow, error) {
	args := db.UserListNewestParams{Pattern: f.Pattern, Role: f.Role, CountLimit: f.CountLimit,
		AfterKey: r.afterKey(), AfterID: r.afterID(), RowLimit: r.rowLimit(), RowOffset: r.offset}
	switch sort {
	case api.ListUsersParamsSortCreatedAt:
		return userRows(h.q.UserListOldest(ctx, db.UserListOldestParams(args)))
	case api.ListUsersParamsSortEmail:
		return userRows(h.q.UserListByEmail(ctx, db.UserListByEmailParams(args)))
	case api.ListUsersParamsSortName:
		return userRows(h.q.UserListByName(ctx, db.UserListByNameParams(args)))
	}
	return userRows(h.q.UserListNewest(ctx, args))
}

// GetUser returns a user to themselves, staff and admins. Customers asking for anyone
// else get 403 whether or not the id exists, so ids cannot be probed.
func (h *Handler) GetUser(ctx context.Context, req api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if caller.UserID != req.Id && !caller.IsStaff() {
		return nil, apperr.Forbidden("You may only read your own account")
	}
	user, err := h.q.UserGet(ctx, req.Id)
	if err != nil {
		return nil, dbError(err, userNotFound)
	}
	return api.GetUser200JSONResponse{Success: api.True, Data: toUser(user)}, nil
}

// UpdateUser lets a user rename themselves and an admin change anything.
func (h *Handler) UpdateUser(ctx context.Context, req api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	switch {
	case caller.UserID != req.Id && !caller.IsAdmin():
		return nil, apperr.Forbidden("You may only change your own account")
	case (b.Role != nil || b.Active != nil) && !caller.IsAdmin():
		return nil, apperr.Forbidden("Only admins may change role or active")
	}
	params := db.UserUpdateParams{ID: req.Id, Active: b.Active}
	if b.Name != nil {
		name, problem := checkName("name", *b.Name)
		if problem != nil {
			return nil, apperr.Validation(*problem)
		}
		params.Name = &name
	}
	if b.Role != nil {
		r := string(*b.Role)
		params.Role = &r
	}
	user, err := h.updateUser(ctx, params)
	if err != nil {
		return nil, err
	}
	return api.UpdateUser200JSONResponse{Body: api.UserEnvelope{Success: api.True, Data: toUser(user)}}, nil
}

// DeactivateUser switches an account off for good (an admin may switch it back on).
func (h *Handler) DeactivateUser(ctx context.Context, req api.DeactivateUserRequestObject) (api.DeactivateUserResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if !caller.IsAdmin() {
		return nil, apperr.Forbidden("Only admins may deactivate accounts")
	}
	inactive := false
	user, err := h.updateUser(ctx, db.UserUpdateParams{ID: req.Id, Active: &inactive})
	if err != nil {
		return nil, err
	}
	return api.DeactivateUser200JSONResponse{Body: api.UserEnvelope{Success: api.True, Data: toUser(user)}}, nil
}

// updateUser applies an update in one transaction; deactivation also revokes every
// refresh token so the account is locked out at once.
func (h *Handler) updateUser(ctx context.Context, p db.UserUpdateParams) (db.UserDetail, error) {
	var user db.UserDetail
	err := h.inTx(ctx, func(q *db.Queries) error {
		n, err := q.UserUpdate(ctx, p)
		if err != nil {
			return dbError(err, "")
		}
		if n == 0 {
			return apperr.NotFound(userNotFound)
		}
		if p.Active != nil && !*p.Active {
			if _, err := q.RefreshTokenRevokeByUser(ctx, p.ID); err != nil {
				return dbError(err, "")
			}
		}
		user, err = q.UserGet(ctx, p.ID)
		return dbError(err, userNotFound)
	})
	if err != nil {
		return user, err
	}
	if p.Role != nil {
		h.Log.InfoContext(ctx, "role changed", "targetUserId", p.ID.String(), "role", *p.Role)
	}
	if p.Active != nil && !*p.Active {
		h.Log.InfoContext(ctx, "account deactivated", "targetUserId", p.ID.String())
	}
	return user, nil
}

// ReplaceUserProfile writes a whole profile for the user themselves or an admin.
func (h *Handler) ReplaceUserProfile(ctx context.Context, req api.ReplaceUserProfileRequestObject) (api.ReplaceUserProfileResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if caller.UserID != req.Id && !caller.IsAdmin() {
		return nil, apperr.Forbidden("You may only change your own profile")
	}
	b := req.Body
	if b.Country != nil && !isCountry(*b.Country) {
		return nil, apperr.Validation(apperr.Detail("country", api.Body, "must be an ISO 3166-1 alpha-2 country code"))
	}
	var user db.UserDetail
	err = h.inTx(ctx, func(q *db.Queries) error {
		if _, err := q.UserGet(ctx, req.Id); err != nil {
			return dbError(err, userNotFound)
		}
		err := q.ProfileReplace(ctx, db.ProfileReplaceParams{
			UserID:       req.Id,
			Phone:        blankToNil(b.Phone),
			Company:      blankToNil(b.Company),
			AddressLine1: blankToNil(b.AddressLine1),
			AddressLine2: blankToNil(b.AddressLine2),
			City:         blankToNil(b.City),
			PostalCode:   blankToNil(b.PostalCode),
			Country:      b.Country,
		})
		if err != nil {
			return dbError(err, "")
		}
		user, err = q.UserGet(ctx, req.Id)
		return dbError(err, userNotFound)
	})
	if err != nil {
		return nil, err
	}
	return api.ReplaceUserProfile200JSONResponse{Body: api.UserEnvelope{Success: api.True, Data: toUser(user)}}, nil
}

// isCountry accepts assigned ISO 3166-1 alpha-2 codes and refuses well-formed but
// unassigned ones such as "XX".
func isCountry(code string) bool {
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && r.String() == code
}

// blankToNil trims text and treats an empty result as "not set".
func blankToNil(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}
