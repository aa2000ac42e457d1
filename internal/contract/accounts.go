package contract

import (
	"context"

	"github.com/shopfloor/shopfloor/client"
)

// public reads what anyone may read: health, readiness, the contract, the catalog.
func (r *runner) public() {
	call(r, "getHealth", 200, "the process is up", func(ctx context.Context) (*client.GetHealthResponse, error) {
		return r.c.GetHealthWithResponse(ctx)
	})
	call(r, "getReadiness", 200, "the database answers", func(ctx context.Context) (*client.GetReadinessResponse, error) {
		return r.c.GetReadinessWithResponse(ctx)
	})
	call(r, "getOpenAPIJSON", 200, "the contract the deployment serves", func(ctx context.Context) (*client.GetOpenAPIJSONResponse, error) {
		return r.c.GetOpenAPIJSONWithResponse(ctx)
	})
	call(r, "getOpenAPIYAML", 200, "the contract, as YAML", func(ctx context.Context) (*client.GetOpenAPIYAMLResponse, error) {
		return r.c.GetOpenAPIYAMLWithResponse(ctx)
	})
	call(r, "getDocs", 200, "the reference page", func(ctx context.Context) (*client.GetDocsResponse, error) {
		return r.c.GetDocsWithResponse(ctx)
	})
}

// accounts registers the run's two customers and walks through what a customer does
// with an account. It returns false when the tour cannot go on without them.
func (r *runner) accounts() bool {
	r.alice = &actor{label: "alice", email: r.emailFor("alice"), password: newPassword()}
	r.bob = &actor{label: "bob", email: r.emailFor("bob"), password: newPassword()}
	for _, a := range []*actor{r.alice, r.bob} {
		if !r.register(a) {
			return false
		}
	}
	call(r, "registerUser", 409, "the same email again is EMAIL_TAKEN", func(ctx context.Context) (*client.RegisterUserResponse, error) {
		return r.c.RegisterUserWithResponse(ctx, client.RegisterUserJSONRequestBody{Email: client.Email(r.alice.email), Password: newPassword(), Name: "Contract Alice"})
	}, hasCode[*client.RegisterUserResponse](r, "EMAIL_TAKEN"))

	registrationToken := r.alice.refresh
	if !r.login(r.alice, "log in") {
		return false
	}
	call(r, "logoutUser", 204, "revoke the registration's refresh token", func(ctx context.Context) (*client.LogoutUserResponse, error) {
		return r.c.LogoutUserWithResponse(ctx, client.LogoutUserJSONRequestBody{RefreshToken: registrationToken})
	})
	call(r, "loginUser", 401, "a wrong password", func(ctx context.Context) (*client.LoginUserResponse, error) {
		return r.c.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(r.alice.email), Password: "Wrong-Passw0rd"})
	})
	call(r, "getCurrentUser", 200, "read yourself", func(ctx context.Context) (*client.GetCurrentUserResponse, error) {
		return r.c.GetCurrentUserWithResponse(ctx, bearer(r.alice.access))
	}, func(res *client.GetCurrentUserResponse) string {
		if res.JSON200 == nil || res.JSON200.Data.Id != r.alice.id {
			return "the caller is not the account that logged in"
		}
		return ""
	})
	call(r, "getCurrentUser", 401, "without a token", func(ctx context.Context) (*client.GetCurrentUserResponse, error) {
		return r.c.GetCurrentUserWithResponse(ctx)
	})
	call(r, "updateUser", 200, "change your own name", func(ctx context.Context) (*client.UpdateUserResponse, error) {
		return r.c.UpdateUserWithResponse(ctx, r.alice.id, client.UpdateUserJSONRequestBody{Name: ptr("Contract Alice Renamed")}, bearer(r.alice.access))
	}, func(res *client.UpdateUserResponse) string {
		if res.JSON200 == nil || res.JSON200.Data.Name != "Contract Alice Renamed" {
			return "the name did not change"
		}
		return ""
	})
	call(r, "updateUser", 403, "a customer may not change their role", func(ctx context.Context) (*client.UpdateUserResponse, error) {
		return r.c.UpdateUserWithResponse(ctx, r.alice.id, client.UpdateUserJSONRequestBody{Role: ptr(client.Admin)}, bearer(r.alice.access))
	})
	call(r, "replaceUserProfile", 200, "set your address", func(ctx context.Context) (*client.ReplaceUserProfileResponse, error) {
		return r.c.ReplaceUserProfileWithResponse(ctx, r.alice.id, client.ReplaceUserProfileJSONRequestBody{
			Company: ptr("Contract Runner Ltd"), City: ptr("London"), Country: ptr("GB")}, bearer(r.alice.access))
	}, func(res *client.ReplaceUserProfileResponse) string {
		if res.JSON200 == nil || res.JSON200.Data.Profile.City == nil || *res.JSON200.Data.Profile.City != "London" {
			return "the profile did not change"
		}
		return ""
	})
	call(r, "getUser", 200, "read your own account", func(ctx context.Context) (*client.GetUserResponse, error) {
		return r.c.GetUserWithResponse(ctx, r.alice.id, bearer(r.alice.access))
	})
	call(r, "getUser", 403, "another customer's account", func(ctx context.Context) (*client.GetUserResponse, error) {
		return r.c.GetUserWithResponse(ctx, r.alice.id, bearer(r.bob.access))
	})
	return true
}

// register registers a through the API and keeps its tokens.
func (r *runner) register(a *actor) bool {
	res, ok := call(r, "registerUser", 201, "register "+a.label+", a new customer", func(ctx context.Context) (*client.RegisterUserResponse, error) {
		return r.c.RegisterUserWithResponse(ctx, client.RegisterUserJSONRequestBody{Email: client.Email(a.email), Password: a.password, Name: "Contract " + a.label})
	}, func(res *client.RegisterUserResponse) string {
		if res.JSON201 == nil || res.JSON201.Data.User.Role != client.Customer {
			return "a registered account must be a customer"
		}
		return ""
	})
	if !ok || res.JSON201 == nil {
		return false
	}
	a.created = true
	a.id = res.JSON201.Data.User.Id
	a.access, a.refresh = res.JSON201.Data.Tokens.AccessToken, res.JSON201.Data.Tokens.RefreshToken
	return true
}

// login logs a in with its password and keeps the new tokens.
func (r *runner) login(a *actor, what string) bool {
	res, ok := call(r, "loginUser", 200, what, func(ctx context.Context) (*client.LoginUserResponse, error) {
		return r.c.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(a.email), Password: a.password})
	})
	if !ok || res.JSON200 == nil {
		return false
	}
	a.id = res.JSON200.Data.User.Id
	a.access, a.refresh = res.JSON200.Data.Tokens.AccessToken, res.JSON200.Data.Tokens.RefreshToken
	return true
}

// sessions walks a customer's tokens through rotation, reuse, a password change and
// logout, so that every token the run was given ends revoked.
func (r *runner) sessions() {
	a := r.alice
	first := a.refresh
	res, ok := call(r, "refreshTokens", 200, "rotate the refresh token", func(ctx context.Context) (*client.RefreshTokensResponse, error) {
		return r.c.RefreshTokensWithResponse(ctx, client.RefreshTokensJSONRequestBody{RefreshToken: first})
	}, func(res *client.RefreshTokensResponse) string {
		if res.JSON200 == nil || res.JSON200.Data.RefreshToken == first {
			return "the refresh token was not rotated"
		}
		return ""
	})
	if ok && res.JSON200 != nil {
		a.access, a.refresh = res.JSON200.Data.AccessToken, res.JSON200.Data.RefreshToken
	}
	call(r, "refreshTokens", 401, "the spent token again (revokes its family)", func(ctx context.Context) (*client.RefreshTokensResponse, error) {
		return r.c.RefreshTokensWithResponse(ctx, client.RefreshTokensJSONRequestBody{RefreshToken: first})
	})
	call(r, "refreshTokens", 401, "the rotated token, now of a revoked family", func(ctx context.Context) (*client.RefreshTokensResponse, error) {
		return r.c.RefreshTokensWithResponse(ctx, client.RefreshTokensJSONRequestBody{RefreshToken: a.refresh})
	})
	call(r, "changePassword", 401, "with a wrong current password", func(ctx context.Context) (*client.ChangePasswordResponse, error) {
		return r.c.ChangePasswordWithResponse(ctx, client.ChangePasswordJSONRequestBody{CurrentPassword: "Wrong-Passw0rd", NewPassword: newPassword()}, bearer(a.access))
	})
	next := newPassword()
	if _, ok := call(r, "changePassword", 204, "change your password", func(ctx context.Context) (*client.ChangePasswordResponse, error) {
		return r.c.ChangePasswordWithResponse(ctx, client.ChangePasswordJSONRequestBody{CurrentPassword: a.password, NewPassword: next}, bearer(a.access))
	}); ok {
		a.password = next
	}
	if !r.login(a, "log in with the new password") {
		return
	}
	call(r, "logoutUser", 204, "log out", func(ctx context.Context) (*client.LogoutUserResponse, error) {
		return r.c.LogoutUserWithResponse(ctx, client.LogoutUserJSONRequestBody{RefreshToken: a.refresh})
	})
	call(r, "refreshTokens", 401, "a logged-out token", func(ctx context.Context) (*client.RefreshTokensResponse, error) {
		return r.c.RefreshTokensWithResponse(ctx, client.RefreshTokensJSONRequestBody{RefreshToken: a.refresh})
	})
}
