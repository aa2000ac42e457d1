package handler

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
)

var errBadCredentials = apperr.Unauthenticated("Invalid email or password")

// checkName is account.CheckName as the detail of a body field.
func checkName(field, raw string) (string, *api.ErrorDetail) {
	name, err := account.CheckName(raw)
	if err != nil {
		d := apperr.Detail(field, api.Body, err.Error())
		return name, &d
	}
	return name, nil
}

func passwordDetails(field, pw string) []api.ErrorDetail {
	var details []api.ErrorDetail
	for _, p := range auth.CheckPasswordStrength(pw) {
		details = append(details, apperr.Detail(field, api.Body, p))
	}
	return details
}

// BodyProblems returns the problems the handlers find in a request body beyond what
// its schema says (a name too short once trimmed, a weak password, an unassigned
// country code). The validator adds them to the schema's own problems, so that a
// request refused by the schema still lists every problem at once.
func BodyProblems(operationID string, body map[string]any) []api.ErrorDetail {
	var details []api.ErrorDetail
	text := func(field string) (string, bool) { s, ok := body[field].(string); return s, ok }
	name := func() {
		if raw, ok := text("name"); ok {
			if _, d := checkName("name", raw); d != nil {
				details = append(details, *d)
			}
		}
	}
	switch operationID {
	case "registerUser":
		name()
		if pw, ok := text("password"); ok {
			details = append(details, passwordDetails("password", pw)...)
		}
	case "changePassword":
		if pw, ok := text("newPassword"); ok {
			details = append(details, passwordDetails("newPassword", pw)...)
		}
	case "updateUser":
		name()
	case "replaceUserProfile":
		if c, ok := text("country"); ok && !isCountry(c) {
			details = append(details, apperr.Detail("country", api.Body, "must be an ISO 3166-1 alpha-2 country code"))
		}
	}
	return details
}

// RegisterUser creates a customer account and logs it in, in one transaction.
func (h *Handler) RegisterUser(ctx context.Context, req api.RegisterUserRequestObject) (api.RegisterUserResponseObject, error) {
	var out api.AuthResult
	_, err := account.Create(ctx, h.Pool, h.Hasher, account.Account{
		Email: string(req.Body.Email), Name: req.Body.Name, Password: req.Body.Password, Role: auth.RoleCustomer,
	}, func(q *db.Queries, id uuid.UUID) error {
		user, err := q.UserGet(ctx, id)
		if err != nil {
			return dbError(err, "user vanished")
		}
		out.User = toUser(user)
		out.Tokens, err = h.issueTokens(ctx, q, id, auth.RoleCustomer, uuid.New())
		return err
	})
	switch {
	case errors.Is(err, auth.ErrBusy):
		return nil, passwordCheckFailed(err)
	case err != nil:
		return nil, dbError(err, "")
	}
	h.Log.InfoContext(ctx, "user registered", "userId", out.User.Id.String())
	return api.RegisterUser201JSONResponse{Body: api.AuthEnvelope{Success: api.True, Data: out}}, nil
}

// LoginUser checks the password and issues a new token family. Unknown emails cost
// the same bcrypt work as wrong passwords, so timing reveals nothing.
func (h *Handler) LoginUser(ctx context.Context, req api.LoginUserRequestObject) (api.LoginUserResponseObject, error) {
	cred, err := h.q.UserCredentialsByEmail(ctx, account.NormalizeEmail(string(req.Body.Email)))
	if err != nil {
		if err = dbError(err, ""); !isNotFound(err) {
			return nil, err
		}
		if err := h.Hasher.VerifyNothing(ctx, req.Body.Password); err != nil {
			return nil, passwordCheckFailed(err)
		}
		h.Log.InfoContext(ctx, "login failed", "reason", "unknown email")
		return nil, errBadCredentials
	}
	ok, err := h.Hasher.Verify(ctx, cred.PasswordHash, req.Body.Password)
	if err != nil {
		return nil, passwordCheckFailed(err)
	}
	if !ok {
		h.Log.InfoContext(ctx, "login failed", "reason", "wrong password", "userId", cred.ID.String())
		return nil, errBadCredentials
	}
	if !cred.Active {
		h.Log.InfoContext(ctx, "login failed", "reason", "account deactivated", "userId", cred.ID.String())
		return nil, apperr.Forbidden("This account is deactivated")
	}
	var out api.AuthResult
	err = h.inTx(ctx, func(q *db.Queries) error {
		user, err := q.UserGet(ctx, cred.ID)
		if err != nil {
			return dbError(err, "user vanished")
		}
		out.User = toUser(user)
		out.Tokens, err = h.issueTokens(ctx, q, cred.ID, cred.Role, uuid.New())
		return err
	})
	if err != nil {
		return nil, err
	}
	h.Log.InfoContext(ctx, "login succeeded", "userId", cred.ID.String())
	return api.LoginUser200JSONResponse{Body: api.AuthEnvelope{Success: api.True, Data: out}}, nil
}

// issueTokens makes an access token and a refresh token of the given family, storing
// only the refresh token's hash.
func (h *Handler) issueTokens(ctx context.Context, q *db.Queries, userID uuid.UUID, role string, family uuid.UUID) (api.Tokens, error) {
	now := time.Now()
	access, ttl, err := h.Tokens.Issue(userID, role, now)
	if err != nil {
		return api.Tokens{}, apperr.Internal(err)
	}
	refresh, hash, err := auth.NewRefreshToken()
	if err != nil {
		return api.Tokens{}, apperr.Internal(err)
	}
	err = q.RefreshTokenCreate(ctx, db.RefreshTokenCreateParams{
		UserID: userID, FamilyID: family, TokenHash: hash, ExpiresAt: now.Add(h.RefreshTTL),
	})
	if err != nil {
		return api.Tokens{}, dbError(err, "")
	}
	return api.Tokens{
		AccessToken:  access,
		RefreshToken: refresh,
		TokenType:    api.Bearer,
		ExpiresIn:    int32(ttl / time.Second),
	}, nil
}

var errBadRefresh = apperr.Unauthenticated("The refresh token is invalid, expired or already used; log in again")

// RefreshTokens spends a refresh token and returns a new pair of the same family. A
// token presented a second time means it was copied: the whole family is revoked.
func (h *Handler) RefreshTokens(ctx context.Context, req api.RefreshTokensRequestObject) (api.RefreshTokensResponseObject, error) {
	var tokens api.Tokens
	var refused error // set when the answer is 401 but the transaction must still commit
	err := h.inTx(ctx, func(q *db.Queries) error {
		rt, err := q.RefreshTokenLockByHash(ctx, auth.HashRefreshToken(req.Body.RefreshToken))
		if err != nil {
			if err = dbError(err, ""); isNotFound(err) {
				refused = errBadRefresh
				return nil
			}
			return err
		}
		switch {
		case rt.RevokedAt != nil, !rt.ExpiresAt.After(time.Now()), !rt.Active:
			refused = errBadRefresh
			return nil
		case rt.UsedAt != nil:
			if _, err := q.RefreshTokenRevokeFamily(ctx, rt.FamilyID); err != nil {
				return dbError(err, "")
			}
			h.Log.WarnContext(ctx, "refresh token reused; family revoked", "userId", rt.UserID.String())
			refused = errBadRefresh
			return nil
		}
		if err := q.RefreshTokenMarkUsed(ctx, rt.ID); err != nil {
			return dbError(err, "")
		}
		tokens, err = h.issueTokens(ctx, q, rt.UserID, rt.Role, rt.FamilyID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return api.RefreshTokens200JSONResponse{Body: api.TokensEnvelope{Success: api.True, Data: tokens}}, nil
}

// LogoutUser revokes a refresh token; unknown tokens are ignored so the call reveals
// nothing and can be repeated.
func (h *Handler) LogoutUser(ctx context.Context, req api.LogoutUserRequestObject) (api.LogoutUserResponseObject, error) {
	if _, err := h.q.RefreshTokenRevokeByHash(ctx, auth.HashRefreshToken(req.Body.RefreshToken)); err != nil {
		return nil, dbError(err, "")
	}
	return api.LogoutUser204Response{}, nil
}

// GetCurrentUser returns the caller, refusing accounts deactivated since the token
// was issued.
func (h *Handler) GetCurrentUser(ctx context.Context, _ api.GetCurrentUserRequestObject) (api.GetCurrentUserResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	user, err := h.q.UserGet(ctx, caller.UserID)
	if err != nil {
		if err = dbError(err, ""); isNotFound(err) {
			return nil, apperr.Unauthenticated("The account of this token no longer exists")
		}
		return nil, err
	}
	if !user.Active {
		return nil, apperr.Unauthenticated("This account is deactivated")
	}
	return api.GetCurrentUser200JSONResponse{Success: api.True, Data: toUser(user)}, nil
}

// ChangePassword replaces the caller's password and revokes every refresh token, so
// that a leaked password stops working everywhere at once.
func (h *Handler) ChangePassword(ctx context.Context, req api.ChangePasswordRequestObject) (api.ChangePasswordResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	cred, err := h.q.UserCredentialsByID(ctx, caller.UserID)
	if err != nil {
		if err = dbError(err, ""); isNotFound(err) {
			return nil, apperr.Unauthenticated("The account of this token no longer exists")
		}
		return nil, err
	}
	ok, err := h.Hasher.Verify(ctx, cred.PasswordHash, req.Body.CurrentPassword)
	if err != nil {
		return nil, passwordCheckFailed(err)
	}
	if !ok || !cred.Active {
		return nil, apperr.Unauthenticated("The current password is incorrect")
	}
	if details := passwordDetails("newPassword", req.Body.NewPassword); len(details) > 0 {
		return nil, apperr.Validation(details...)
	}
	hash, err := h.Hasher.Hash(ctx, req.Body.NewPassword)
	if err != nil {
		return nil, passwordCheckFailed(err)
	}
	err = h.inTx(ctx, func(q *db.Queries) error {
		if _, err := q.UserSetPassword(ctx, db.UserSetPasswordParams{ID: caller.UserID, PasswordHash: hash}); err != nil {
			return dbError(err, "")
		}
		_, err := q.RefreshTokenRevokeByUser(ctx, caller.UserID)
		return dbError(err, "")
	})
	if err != nil {
		return nil, err
	}
	h.Log.InfoContext(ctx, "password changed")
	return api.ChangePassword204Response{}, nil
}

// isNotFound reports whether a translated error is a 404.
func isNotFound(err error) bool {
	e := apperr.As(err)
	return e != nil && e.Status == http.StatusNotFound
}

// passwordCheckFailed maps a Hasher failure. A full bcrypt queue is overload, not a
// fault: 503 with Retry-After, so that clients back off while reads go on being
// served. Anything else is unexpected.
func passwordCheckFailed(err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return &apperr.Error{Status: http.StatusServiceUnavailable, Code: api.SERVICEUNAVAILABLE,
			Message: "Too many password checks are waiting; retry in a moment", Cause: err,
			Headers: map[string]string{"Retry-After": apperr.RetryAfterUnavailable}}
	}
	return apperr.Internal(err)
}
