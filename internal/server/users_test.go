package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor"
	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

func TestListUsers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	// Created in this order, so createdAt sorts them the same way.
	staff := env.CreateUser(apitest.UserOpts{Email: "sam.staff@example.com", Name: "Sam Staff", Role: "staff"})
	admin := env.CreateUser(apitest.UserOpts{Email: "alice.admin@example.com", Name: "alice Admin", Role: "admin"})
	carol := env.CreateUser(apitest.UserOpts{Email: "carol@example.com", Name: "Carol Customer"})
	env.CreateUser(apitest.UserOpts{Email: "dave@shop.example", Name: "Dave"})
	env.CreateUser(apitest.UserOpts{Email: "erin@example.com", Name: "Erin 100% Real"})
	env.CreateUser(apitest.UserOpts{Email: "frank_fun@example.com", Name: "Frank"})
	created := []string{"sam.staff@example.com", "alice.admin@example.com", "carol@example.com", "dave@shop.example", "erin@example.com", "frank_fun@example.com"}
	newestFirst := slices.Clone(created)
	slices.Reverse(newestFirst)
	byEmail := slices.Sorted(slices.Values(created))
	byName := []string{"alice.admin@example.com", "carol@example.com", "dave@shop.example", "erin@example.com", "frank_fun@example.com", "sam.staff@example.com"}

	phone := "+33 1 23 45 67 89"
	put, err := env.Client.ReplaceUserProfileWithResponse(t.Context(), carol.ID, client.ReplaceUserProfileJSONRequestBody{Phone: &phone}, carol.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, put.StatusCode(), string(put.Body))

	t.Run("a customer may not list users", func(t *testing.T) {
		res, err := env.Client.ListUsersWithResponse(t.Context(), nil, carol.Auth())
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusForbidden, client.FORBIDDEN)
	})
	t.Run("an anonymous caller may not list users", func(t *testing.T) {
		res, err := env.Client.ListUsersWithResponse(t.Context(), nil)
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("an admin may list users", func(t *testing.T) {
		res, err := env.Client.ListUsersWithResponse(t.Context(), nil, admin.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.EqualValues(t, 6, res.JSON200.Pagination.Total)
	})
	t.Run("the list carries profiles", func(t *testing.T) {
		res, err := env.Client.ListUsersWithResponse(t.Context(), &client.ListUsersParams{Q: apitest.Ptr("carol")}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Len(t, res.JSON200.Data, 1)
		require.Equal(t, &phone, res.JSON200.Data[0].Profile.Phone)
		require.Nil(t, res.JSON200.Data[0].Profile.City)
	})

	sortOf := func(s string) *client.ListUsersParamsSort { return apitest.Ptr(client.ListUsersParamsSort(s)) }
	role := func(r string) *client.Role { return apitest.Ptr(client.Role(r)) }
	for _, tc := range []struct {
		name   string
		params client.ListUsersParams
		want   []string // emails in order
		total  int64
		pages  int32
	}{
		{name: "by default staff see everyone, newest first", params: client.ListUsersParams{}, want: newestFirst, total: 6, pages: 1},
		{name: "sorting by -createdAt gives the newest first", params: client.ListUsersParams{Sort: sortOf("-createdAt")}, want: newestFirst, total: 6, pages: 1},
		{name: "sorting by createdAt gives the oldest first", params: client.ListUsersParams{Sort: sortOf("createdAt")}, want: created, total: 6, pages: 1},
		{name: "sorting by email is alphabetical", params: client.ListUsersParams{Sort: sortOf("email")}, want: byEmail, total: 6, pages: 1},
		{name: "sorting by name ignores case", params: client.ListUsersParams{Sort: sortOf("name")}, want: byName, total: 6, pages: 1},
		{name: "the first page of two holds the first four", params: client.ListUsersParams{Sort: sortOf("email"), Limit: apitest.Ptr[int32](4)}, want: byEmail[:4], total: 6, pages: 2},
		{name: "the second page holds the rest", params: client.ListUsersParams{Sort: sortOf("email"), Limit: apitest.Ptr[int32](4), Page: apitest.Ptr[int32](2)}, want: byEmail[4:], total: 6, pages: 2},
		{name: "a page past the end is empty but keeps the total", params: client.ListUsersParams{Sort: sortOf("email"), Limit: apitest.Ptr[int32](4), Page: apitest.Ptr[int32](3)}, want: []string{}, total: 6, pages: 2},
		{name: "the deepest page numbers reach (page × limit = 10 000), far past the end, is empty but keeps the total", params: client.ListUsersParams{Limit: apitest.Ptr[int32](1), Page: apitest.Ptr[int32](10000)}, want: []string{}, total: 6, pages: 6},
		{name: "one per page gives as many pages as users", params: client.ListUsersParams{Sort: sortOf("name"), Limit: apitest.Ptr[int32](1), Page: apitest.Ptr[int32](6)}, want: byName[5:], total: 6, pages: 6},
		{name: "q matches the email ignoring case", params: client.ListUsersParams{Q: apitest.Ptr("SHOP.EXAMPLE")}, want: []string{"dave@shop.example"}, total: 1, pages: 1},
		{name: "q matches the name ignoring case", params: client.ListUsersParams{Q: apitest.Ptr("cUsToMeR")}, want: []string{"carol@example.com"}, total: 1, pages: 1},
		{name: "q matches anywhere in the text", params: client.ListUsersParams{Q: apitest.Ptr("admin"), Sort: sortOf("email")}, want: []string{"alice.admin@example.com"}, total: 1, pages: 1},
		{name: "q with a percent sign matches it literally", params: client.ListUsersParams{Q: apitest.Ptr("%")}, want: []string{"erin@example.com"}, total: 1, pages: 1},
		{name: "q with an underscore matches it literally", params: client.ListUsersParams{Q: apitest.Ptr("_")}, want: []string{"frank_fun@example.com"}, total: 1, pages: 1},
		{name: "q with a backslash matches nothing when no one has one", params: client.ListUsersParams{Q: apitest.Ptr(`\`)}, want: []string{}, total: 0, pages: 0},
		{name: "q with no match gives an empty page", params: client.ListUsersParams{Q: apitest.Ptr("zebra")}, want: []string{}, total: 0, pages: 0},
		{name: "the role filter keeps only that role", params: client.ListUsersParams{Role: role("customer"), Sort: sortOf("email")}, want: []string{"carol@example.com", "dave@shop.example", "erin@example.com", "frank_fun@example.com"}, total: 4, pages: 1},
		{name: "the role filter finds the only admin", params: client.ListUsersParams{Role: role("admin")}, want: []string{"alice.admin@example.com"}, total: 1, pages: 1},
		{name: "the role filter finds the only staff member", params: client.ListUsersParams{Role: role("staff")}, want: []string{"sam.staff@example.com"}, total: 1, pages: 1},
		{name: "role and q combine", params: client.ListUsersParams{Role: role("customer"), Q: apitest.Ptr("example.com"), Sort: sortOf("name")}, want: []string{"carol@example.com", "erin@example.com", "frank_fun@example.com"}, total: 3, pages: 1},
		{name: "role and q that match no one together give an empty page", params: client.ListUsersParams{Role: role("admin"), Q: apitest.Ptr("carol")}, want: []string{}, total: 0, pages: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := tc.params
			res, err := env.Client.ListUsersWithResponse(t.Context(), &params, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.True(t, bool(res.JSON200.Success))
			require.Equal(t, tc.want, apitest.Emails(res.JSON200.Data))
			p := res.JSON200.Pagination
			require.Equal(t, tc.total, p.Total)
			require.Equal(t, tc.pages, p.Pages)
			wantPage, wantLimit := int32(1), int32(20)
			if params.Page != nil {
				wantPage = *params.Page
			}
			if params.Limit != nil {
				wantLimit = *params.Limit
			}
			require.Equal(t, wantPage, p.Page)
			require.Equal(t, wantLimit, p.Limit)
			require.NotContains(t, string(res.Body), `"data":null`)
		})
	}

	t.Run("pages do not overlap and together hold everyone", func(t *testing.T) {
		var seen []string
		for page := int32(1); page <= 3; page++ {
			res, err := env.Client.ListUsersWithResponse(t.Context(), &client.ListUsersParams{Limit: apitest.Ptr[int32](2), Page: &page}, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Len(t, res.JSON200.Data, 2)
			seen = append(seen, apitest.Emails(res.JSON200.Data)...)
		}
		require.Equal(t, newestFirst, seen)
	})

	for _, tc := range []struct {
		name   string
		query  string
		fields []string
	}{
		{"a limit of zero is refused", "limit=0", []string{"limit"}},
		{"a limit over 100 is refused", "limit=101", []string{"limit"}},
		{"a limit that is not a number is refused", "limit=ten", []string{"limit"}},
		{"a page of zero is refused", "page=0", []string{"page"}},
		{"an unknown sort is refused", "sort=password", []string{"sort"}},
		{"an unknown role is refused", "role=root", []string{"role"}},
		{"an empty q is refused", "q=", []string{"q"}},
		{"a q over 100 characters is refused", "q=" + strings.Repeat("a", 101), []string{"q"}},
		{"several bad parameters are all listed", "limit=0&page=0&sort=up", []string{"limit", "page", "sort"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := env.Do(http.MethodGet, "/api/v1/users?"+tc.query, "", nil, "Authorization", "Bearer "+staff.Token)
			e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			apitest.RequireFieldsIn(t, e, client.Query, tc.fields...)
		})
	}
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	customer := env.CreateUser(apitest.UserOpts{Name: "Cus Tomer"})
	other := env.CreateUser(apitest.UserOpts{Name: "Oth Er"})
	staff := env.CreateUser(apitest.UserOpts{Role: "staff"})
	admin := env.CreateUser(apitest.UserOpts{Role: "admin"})
	missing := uuid.New()

	for _, tc := range []struct {
		name   string
		caller apitest.User
		id     uuid.UUID
		status int
		code   client.ErrorCode
	}{
		{name: "a customer reads their own account", caller: customer, id: customer.ID, status: 200},
		{name: "a customer may not read another account", caller: customer, id: other.ID, status: 403, code: client.FORBIDDEN},
		{name: "a customer gets 403 for an id that does not exist, revealing nothing", caller: customer, id: missing, status: 403, code: client.FORBIDDEN},
		{name: "staff read another account", caller: staff, id: other.ID, status: 200},
		{name: "staff get 404 for an id that does not exist", caller: staff, id: missing, status: 404, code: client.NOTFOUND},
		{name: "an admin reads another account", caller: admin, id: other.ID, status: 200},
		{name: "an admin gets 404 for an id that does not exist", caller: admin, id: missing, status: 404, code: client.NOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := apitest.GetUser(t, env, tc.caller, tc.id)
			switch tc.status {
			case http.StatusOK:
				require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
				require.Equal(t, tc.id, res.JSON200.Data.Id)
				require.NotContains(t, string(res.Body), "passwordHash")
			case http.StatusForbidden:
				apitest.RequireError(t, res, tc.status, tc.code)
			case http.StatusNotFound:
				apitest.RequireError(t, res, tc.status, tc.code)
			}
		})
	}
	t.Run("the user read has the right fields", func(t *testing.T) {
		res := apitest.GetUser(t, env, staff, other.ID)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		d := res.JSON200.Data
		require.Equal(t, other.Email, string(d.Email))
		require.Equal(t, "Oth Er", d.Name)
		require.Equal(t, client.Role("customer"), d.Role)
		require.True(t, d.Active)
	})
	t.Run("an anonymous caller is refused", func(t *testing.T) {
		res, err := env.Client.GetUserWithResponse(t.Context(), customer.ID)
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	for _, tc := range []struct{ name, id string }{
		{"an id that is not a UUID is refused", "not-a-uuid"},
		{"a UUID without dashes is refused", strings.ReplaceAll(other.ID.String(), "-", "")},
		{"a number is refused", "42"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := env.Do(http.MethodGet, "/api/v1/users/"+tc.id, "", nil, "Authorization", "Bearer "+staff.Token)
			e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			apitest.RequireFieldsIn(t, e, client.Path, "id")
		})
	}
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.CreateUser(apitest.UserOpts{Role: "admin"})
	staff := env.CreateUser(apitest.UserOpts{Role: "staff", Name: "Stan Staff"})
	customer := env.CreateUser(apitest.UserOpts{Name: "Original Name"})
	other := env.CreateUser(apitest.UserOpts{Name: "Other Person"})
	ctx := t.Context()

	update := func(t *testing.T, caller apitest.User, id uuid.UUID, body string) *client.UpdateUserResponse {
		t.Helper()
		res, err := env.Client.UpdateUserWithBodyWithResponse(t.Context(), id, "application/json", strings.NewReader(body), caller.Auth())
		require.NoError(t, err)
		return res
	}

	t.Run("a user renames themselves, trimmed", func(t *testing.T) {
		before := apitest.GetUser(t, env, customer, customer.ID)
		require.Equal(t, http.StatusOK, before.StatusCode())
		res := update(t, customer, customer.ID, `{"name":"   New Name  "}`)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, "New Name", res.JSON200.Data.Name)
		require.Equal(t, client.Role("customer"), res.JSON200.Data.Role)
		require.True(t, res.JSON200.Data.UpdatedAt.After(before.JSON200.Data.UpdatedAt))
		got := apitest.GetUser(t, env, customer, customer.ID)
		require.Equal(t, "New Name", got.JSON200.Data.Name)
	})
	for _, tc := range []struct {
		name   string
		caller apitest.User
		id     uuid.UUID
		body   string
	}{
		{"a customer may not change their own role", customer, customer.ID, `{"role":"admin"}`},
		{"a customer may not change their role even with a name", customer, customer.ID, `{"name":"Sneaky","role":"staff"}`},
		{"a customer may not reactivate or deactivate themselves", customer, customer.ID, `{"active":false}`},
		{"a customer may not rename someone else", customer, other.ID, `{"name":"Hacked"}`},
		{"a customer gets 403 for an id that does not exist", customer, uuid.New(), `{"name":"Hacked"}`},
		{"staff may not rename someone else", staff, other.ID, `{"name":"Hacked"}`},
		{"staff may not change their own role", staff, staff.ID, `{"role":"admin"}`},
		{"staff may not deactivate someone", staff, other.ID, `{"active":false}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := update(t, tc.caller, tc.id, tc.body)
			apitest.RequireError(t, res, http.StatusForbidden, client.FORBIDDEN)
		})
	}
	t.Run("forbidden changes changed nothing", func(t *testing.T) {
		c := apitest.GetUser(t, env, admin, customer.ID).JSON200.Data
		require.Equal(t, "New Name", c.Name)
		require.Equal(t, client.Role("customer"), c.Role)
		require.True(t, c.Active)
		o := apitest.GetUser(t, env, admin, other.ID).JSON200.Data
		require.Equal(t, "Other Person", o.Name)
		s := apitest.GetUser(t, env, admin, staff.ID).JSON200.Data
		require.Equal(t, client.Role("staff"), s.Role)
	})
	for _, tc := range []struct {
		name   string
		body   string
		code   client.ErrorCode
		fields []string
	}{
		{"an empty body object is refused", `{}`, client.VALIDATIONERROR, []string{"body"}},
		{"a name of one letter between spaces is refused", `{"name":"  a  "}`, client.VALIDATIONERROR, []string{"name"}},
		{"a name over 50 characters is refused", `{"name":"` + strings.Repeat("n", 51) + `"}`, client.VALIDATIONERROR, []string{"name"}},
		{"an unknown role is refused", `{"role":"root"}`, client.VALIDATIONERROR, []string{"role"}},
		{"active of the wrong type is refused", `{"active":"no"}`, client.VALIDATIONERROR, []string{"active"}},
		{"a null name is refused", `{"name":null}`, client.VALIDATIONERROR, []string{"name"}},
		{"the email cannot be changed here", `{"email":"new@example.com"}`, client.UNKNOWNFIELD, []string{"email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := update(t, customer, customer.ID, tc.body)
			e := apitest.RequireError(t, res, http.StatusBadRequest, tc.code)
			apitest.RequireFieldsIn(t, e, client.Body, tc.fields...)
		})
	}
	t.Run("malformed JSON is a bad request", func(t *testing.T) {
		res := update(t, customer, customer.ID, `{"name":`)
		apitest.RequireError(t, res, http.StatusBadRequest, client.BADREQUEST)
	})
	t.Run("a wrong content type is unsupported", func(t *testing.T) {
		res, err := env.Client.UpdateUserWithBodyWithResponse(ctx, customer.ID, "text/plain", strings.NewReader(`{"name":"Text"}`), customer.Auth())
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnsupportedMediaType, client.UNSUPPORTEDMEDIATYPE)
	})
	t.Run("an anonymous caller is refused", func(t *testing.T) {
		res, err := env.Client.UpdateUserWithResponse(ctx, customer.ID, client.UpdateUserJSONRequestBody{Name: apitest.Ptr("Anon")})
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("an admin renames someone else", func(t *testing.T) {
		res := update(t, admin, other.ID, `{"name":"Renamed By Admin"}`)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, "Renamed By Admin", res.JSON200.Data.Name)
	})
	t.Run("an admin changes a role", func(t *testing.T) {
		res := update(t, admin, other.ID, `{"role":"staff"}`)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, client.Role("staff"), res.JSON200.Data.Role)
		require.Equal(t, "Renamed By Admin", res.JSON200.Data.Name, "fields not sent are kept")
		require.True(t, res.JSON200.Data.Active)
	})
	t.Run("an admin gets 404 for an id that does not exist", func(t *testing.T) {
		res := update(t, admin, uuid.New(), `{"name":"Nobody"}`)
		apitest.RequireError(t, res, http.StatusNotFound, client.NOTFOUND)
	})
	t.Run("an id that is not a UUID is refused", func(t *testing.T) {
		res, body := env.Do(http.MethodPatch, "/api/v1/users/nope", "application/json", []byte(`{"name":"Nope"}`), "Authorization", "Bearer "+admin.Token)
		e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireFieldsIn(t, e, client.Path, "id")
	})
}

func TestAdminDeactivatesAndReactivatesAnAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.CreateUser(apitest.UserOpts{Role: "admin"})
	reg := apitest.Register(t, env, "vic@example.com", apitest.Password, "Vic Tim")
	ctx := t.Context()

	res, err := env.Client.UpdateUserWithResponse(ctx, reg.User.Id, client.UpdateUserJSONRequestBody{Active: apitest.Ptr(false)}, admin.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.False(t, res.JSON200.Data.Active)
	require.Equal(t, "Vic Tim", res.JSON200.Data.Name)

	t.Run("the user can no longer log in", func(t *testing.T) {
		res := apitest.Login(t, env, "vic@example.com", apitest.Password)
		apitest.RequireError(t, res, http.StatusForbidden, client.FORBIDDEN)
	})
	t.Run("the user can no longer refresh", func(t *testing.T) {
		apitest.RequireRefreshRefused(t, env, reg.Tokens.RefreshToken)
	})
	t.Run("the still unexpired access token no longer reads the caller", func(t *testing.T) {
		res := apitest.Me(t, env, reg.Tokens.AccessToken)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("staff still see the account, inactive", func(t *testing.T) {
		res := apitest.GetUser(t, env, admin, reg.User.Id)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.False(t, res.JSON200.Data.Active)
	})

	res, err = env.Client.UpdateUserWithResponse(ctx, reg.User.Id, client.UpdateUserJSONRequestBody{Active: apitest.Ptr(true)}, admin.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.True(t, res.JSON200.Data.Active)

	t.Run("once reactivated the user logs in again", func(t *testing.T) {
		res := apitest.Login(t, env, "vic@example.com", apitest.Password)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	})
	t.Run("refresh tokens revoked by the deactivation stay revoked", func(t *testing.T) {
		apitest.RequireRefreshRefused(t, env, reg.Tokens.RefreshToken)
	})
}

func TestDeactivateUser(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.CreateUser(apitest.UserOpts{Role: "admin"})
	staff := env.CreateUser(apitest.UserOpts{Role: "staff"})
	customer := env.CreateUser(apitest.UserOpts{})
	target := apitest.Register(t, env, "target@example.com", apitest.Password, "Tar Get")
	ctx := t.Context()

	for _, tc := range []struct {
		name   string
		caller apitest.User
		id     uuid.UUID
	}{
		{"staff may not deactivate an account", staff, target.User.Id},
		{"a customer may not deactivate another account", customer, target.User.Id},
		{"a customer may not deactivate their own account", customer, customer.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := env.Client.DeactivateUserWithResponse(ctx, tc.id, tc.caller.Auth())
			require.NoError(t, err)
			apitest.RequireError(t, res, http.StatusForbidden, client.FORBIDDEN)
		})
	}
	t.Run("refused attempts left the account active", func(t *testing.T) {
		res := apitest.GetUser(t, env, admin, target.User.Id)
		require.True(t, res.JSON200.Data.Active)
	})
	t.Run("an anonymous caller is refused", func(t *testing.T) {
		res, err := env.Client.DeactivateUserWithResponse(ctx, target.User.Id)
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("an admin gets 404 for an id that does not exist", func(t *testing.T) {
		res, err := env.Client.DeactivateUserWithResponse(ctx, uuid.New(), admin.Auth())
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusNotFound, client.NOTFOUND)
	})
	t.Run("an id that is not a UUID is refused", func(t *testing.T) {
		res, body := env.Do(http.MethodDelete, "/api/v1/users/0", "", nil, "Authorization", "Bearer "+admin.Token)
		e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireFieldsIn(t, e, client.Path, "id")
	})
	t.Run("an admin deactivates an account", func(t *testing.T) {
		res, err := env.Client.DeactivateUserWithResponse(ctx, target.User.Id, admin.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, target.User.Id, res.JSON200.Data.Id)
		require.False(t, res.JSON200.Data.Active)
		require.Equal(t, "target@example.com", string(res.JSON200.Data.Email), "the account is kept")
	})
	t.Run("deactivating again is harmless", func(t *testing.T) {
		res, err := env.Client.DeactivateUserWithResponse(ctx, target.User.Id, admin.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.False(t, res.JSON200.Data.Active)
	})
	t.Run("the deactivated account cannot log in", func(t *testing.T) {
		res := apitest.Login(t, env, "target@example.com", apitest.Password)
		apitest.RequireError(t, res, http.StatusForbidden, client.FORBIDDEN)
	})
	t.Run("the deactivated account cannot refresh", func(t *testing.T) {
		apitest.RequireRefreshRefused(t, env, target.Tokens.RefreshToken)
	})
	t.Run("the deactivated account is still listed", func(t *testing.T) {
		res, err := env.Client.ListUsersWithResponse(ctx, &client.ListUsersParams{Q: apitest.Ptr("target@")}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Len(t, res.JSON200.Data, 1)
		require.False(t, res.JSON200.Data[0].Active)
	})
}

func TestReplaceUserProfile(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.CreateUser(apitest.UserOpts{Role: "admin"})
	staff := env.CreateUser(apitest.UserOpts{Role: "staff"})
	customer := env.CreateUser(apitest.UserOpts{})
	other := env.CreateUser(apitest.UserOpts{})
	ctx := t.Context()
	full := client.ReplaceUserProfileJSONRequestBody{
		Phone:        apitest.Ptr("+44 20 7946 0958"),
		Company:      apitest.Ptr("Analytical Engines Ltd"),
		AddressLine1: apitest.Ptr("12 St James's Square"),
		AddressLine2: apitest.Ptr("Floor 2"),
		City:         apitest.Ptr("London"),
		PostalCode:   apitest.Ptr("SW1Y 4JH"),
		Country:      apitest.Ptr("GB"),
	}
	put := func(t *testing.T, caller apitest.User, id uuid.UUID, body client.ReplaceUserProfileJSONRequestBody) *client.ReplaceUserProfileResponse {
		t.Helper()
		res, err := env.Client.ReplaceUserProfileWithResponse(t.Context(), id, body, caller.Auth())
		require.NoError(t, err)
		return res
	}
	putRaw := func(t *testing.T, caller apitest.User, id uuid.UUID, body string) *client.ReplaceUserProfileResponse {
		t.Helper()
		res, err := env.Client.ReplaceUserProfileWithBodyWithResponse(t.Context(), id, "application/json", strings.NewReader(body), caller.Auth())
		require.NoError(t, err)
		return res
	}

	t.Run("a user writes their whole profile", func(t *testing.T) {
		res := put(t, customer, customer.ID, full)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		p := res.JSON200.Data.Profile
		require.Equal(t, full.Phone, p.Phone)
		require.Equal(t, full.Company, p.Company)
		require.Equal(t, full.AddressLine1, p.AddressLine1)
		require.Equal(t, full.AddressLine2, p.AddressLine2)
		require.Equal(t, full.City, p.City)
		require.Equal(t, full.PostalCode, p.PostalCode)
		require.Equal(t, full.Country, p.Country)
		require.NotNil(t, p.UpdatedAt)

		got := apitest.GetUser(t, env, customer, customer.ID)
		require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
		require.Equal(t, p, got.JSON200.Data.Profile, "the profile is stored")
	})
	t.Run("fields left out are cleared", func(t *testing.T) {
		res := put(t, customer, customer.ID, client.ReplaceUserProfileJSONRequestBody{City: apitest.Ptr("Manchester")})
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		p := res.JSON200.Data.Profile
		require.Equal(t, apitest.Ptr("Manchester"), p.City)
		require.Nil(t, p.Phone)
		require.Nil(t, p.Company)
		require.Nil(t, p.AddressLine1)
		require.Nil(t, p.AddressLine2)
		require.Nil(t, p.PostalCode)
		require.Nil(t, p.Country)
		got := apitest.GetUser(t, env, customer, customer.ID)
		require.Equal(t, p, got.JSON200.Data.Profile)
	})
	t.Run("blank fields are cleared", func(t *testing.T) {
		res := putRaw(t, customer, customer.ID, `{"city":"   ","company":""}`)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Nil(t, res.JSON200.Data.Profile.City)
		require.Nil(t, res.JSON200.Data.Profile.Company)
	})
	t.Run("an empty object clears the whole profile", func(t *testing.T) {
		res := putRaw(t, customer, customer.ID, `{}`)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		p := res.JSON200.Data.Profile
		require.NotNil(t, p.UpdatedAt)
		p.UpdatedAt = nil
		require.Equal(t, client.Profile{}, p)
	})

	res := put(t, customer, customer.ID, full)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	stored := res.JSON200.Data.Profile

	for _, tc := range []struct {
		name   string
		body   string
		code   client.ErrorCode
		fields []string
	}{
		{"an unassigned country code is refused", `{"country":"XX"}`, client.VALIDATIONERROR, []string{"country"}},
		{"a lowercase country code is refused", `{"country":"gb"}`, client.VALIDATIONERROR, []string{"country"}},
		{"a three-letter country code is refused", `{"country":"GBR"}`, client.VALIDATIONERROR, []string{"country"}},
		{"a phone number with letters is refused", `{"phone":"call me"}`, client.VALIDATIONERROR, []string{"phone"}},
		{"a company over 100 characters is refused", `{"company":"` + strings.Repeat("c", 101) + `"}`, client.VALIDATIONERROR, []string{"company"}},
		{"a postal code over 20 characters is refused", `{"postalCode":"` + strings.Repeat("9", 21) + `"}`, client.VALIDATIONERROR, []string{"postalCode"}},
		{"a city of the wrong type is refused", `{"city":7}`, client.VALIDATIONERROR, []string{"city"}},
		{"several problems are all listed", `{"country":"gb","phone":"call me","city":7}`, client.VALIDATIONERROR, []string{"city", "country", "phone"}},
		{"an unassigned country and a bad phone are both listed", `{"country":"XX","phone":"call me"}`, client.VALIDATIONERROR, []string{"country", "phone"}},
		{"an unknown field is refused by name", `{"city":"Leeds","state":"Yorkshire"}`, client.UNKNOWNFIELD, []string{"state"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := putRaw(t, customer, customer.ID, tc.body)
			e := apitest.RequireError(t, res, http.StatusBadRequest, tc.code)
			apitest.RequireFieldsIn(t, e, client.Body, tc.fields...)
		})
	}
	t.Run("refused writes changed nothing", func(t *testing.T) {
		got := apitest.GetUser(t, env, customer, customer.ID)
		require.Equal(t, stored, got.JSON200.Data.Profile)
	})
	for _, tc := range []struct {
		name   string
		caller apitest.User
		id     uuid.UUID
		status int
		code   client.ErrorCode
	}{
		{"a customer may not write another user's profile", customer, other.ID, 403, client.FORBIDDEN},
		{"a customer gets 403 for an id that does not exist", customer, uuid.New(), 403, client.FORBIDDEN},
		{"staff may not write another user's profile", staff, other.ID, 403, client.FORBIDDEN},
		{"an admin gets 404 for an id that does not exist", admin, uuid.New(), 404, client.NOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := put(t, tc.caller, tc.id, client.ReplaceUserProfileJSONRequestBody{City: apitest.Ptr("Nowhere")})
			if tc.status == http.StatusForbidden {
				apitest.RequireError(t, res, tc.status, tc.code)
			} else {
				apitest.RequireError(t, res, tc.status, tc.code)
			}
		})
	}
	t.Run("the other user's profile is untouched", func(t *testing.T) {
		got := apitest.GetUser(t, env, other, other.ID)
		require.Equal(t, client.Profile{}, got.JSON200.Data.Profile)
	})
	t.Run("an admin writes another user's profile", func(t *testing.T) {
		res := put(t, admin, other.ID, client.ReplaceUserProfileJSONRequestBody{Country: apitest.Ptr("DE"), City: apitest.Ptr("Berlin")})
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, other.ID, res.JSON200.Data.Id)
		require.Equal(t, apitest.Ptr("Berlin"), res.JSON200.Data.Profile.City)
		require.Equal(t, apitest.Ptr("DE"), res.JSON200.Data.Profile.Country)
	})
	t.Run("an anonymous caller is refused", func(t *testing.T) {
		res, err := env.Client.ReplaceUserProfileWithResponse(ctx, customer.ID, full)
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("a wrong content type is unsupported", func(t *testing.T) {
		res, err := env.Client.ReplaceUserProfileWithBodyWithResponse(ctx, customer.ID, "text/plain", strings.NewReader(`{}`), customer.Auth())
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnsupportedMediaType, client.UNSUPPORTEDMEDIATYPE)
	})
	t.Run("malformed JSON is a bad request", func(t *testing.T) {
		res := putRaw(t, customer, customer.ID, `{"city":"Leeds"`)
		apitest.RequireError(t, res, http.StatusBadRequest, client.BADREQUEST)
	})
}

// nastyStrings are strings that break code which builds SQL, LIKE patterns or
// markup from text. Each is 2–20 characters and has no surrounding spaces, so
// every text field takes it as it is.
var nastyStrings = []string{
	`Robert'); DROP TABLE`,
	`%_\`,
	`' OR '1'='1`,
	`"quoted" 'both'`,
	`$1 $$ ::text`,
	`\x00\n\t literal`,
	`<script>x</script>`,
	`Zoë Ångström 日本語 🚀`,
	`--; /* */ ;`,
	`\'; SELECT 1;--`,
}

func TestTextFieldsAreStoredVerbatim(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	staff := env.CreateUser(apitest.UserOpts{Role: "staff", Name: "Plain Staff", Email: "plain@example.com"})
	// One account takes every string in turn (bcrypt makes each new account slow);
	// the staff member is the control that no search below may find.
	reg := apitest.Register(t, env, "nasty@example.com", apitest.Password, nastyStrings[0])
	require.Equal(t, nastyStrings[0], reg.User.Name, "the name is registered verbatim")
	owner := apitest.User{ID: reg.User.Id, Token: reg.Tokens.AccessToken}

	for _, s := range nastyStrings {
		t.Run(s+" round-trips through every text field and q", func(t *testing.T) {
			require.LessOrEqual(t, len([]rune(s)), 20)
			require.Equal(t, strings.TrimSpace(s), s)

			up, err := env.Client.UpdateUserWithResponse(t.Context(), owner.ID, client.UpdateUserJSONRequestBody{Name: &s}, owner.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, up.StatusCode(), string(up.Body))
			require.Equal(t, s, up.JSON200.Data.Name)

			put, err := env.Client.ReplaceUserProfileWithResponse(t.Context(), owner.ID, client.ReplaceUserProfileJSONRequestBody{
				Company: &s, AddressLine1: &s, AddressLine2: &s, City: &s, PostalCode: &s,
			}, owner.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, put.StatusCode(), string(put.Body))

			got := apitest.GetUser(t, env, staff, owner.ID)
			require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
			d := got.JSON200.Data
			require.Equal(t, s, d.Name)
			for _, f := range []*string{d.Profile.Company, d.Profile.AddressLine1, d.Profile.AddressLine2, d.Profile.City, d.Profile.PostalCode} {
				require.NotNil(t, f)
				require.Equal(t, s, *f)
			}

			list, err := env.Client.ListUsersWithResponse(t.Context(), &client.ListUsersParams{Q: &s}, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
			require.Equal(t, []string{"nasty@example.com"}, apitest.Emails(list.JSON200.Data), "q %q", s)
		})
	}

	t.Run("emails with quotes, percent and underscore in the local part work", func(t *testing.T) {
		for _, email := range []string{`o'brien%_x--@example.com`, `robert'or'1'='1@example.com`, `a{b}|c~d$e@example.com`} {
			reg := apitest.Register(t, env, email, apitest.Password, "Email Test")
			require.Equal(t, email, string(reg.User.Email))
			login := apitest.Login(t, env, strings.ToUpper(email), apitest.Password)
			require.Equal(t, http.StatusOK, login.StatusCode(), string(login.Body))
			require.Equal(t, reg.User.Id, login.JSON200.Data.User.Id)
			q := email[:strings.Index(email, "@")]
			res, err := env.Client.ListUsersWithResponse(t.Context(), &client.ListUsersParams{Q: &q}, staff.Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Equal(t, []string{email}, apitest.Emails(res.JSON200.Data))
		}
	})

	t.Run("the users table is intact", func(t *testing.T) {
		res, err := env.Client.ListUsersWithResponse(t.Context(), &client.ListUsersParams{Sort: apitest.Ptr(client.ListUsersParamsSort("email"))}, staff.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.EqualValues(t, 5, res.JSON200.Pagination.Total)
		require.Equal(t, []string{`a{b}|c~d$e@example.com`, "nasty@example.com", `o'brien%_x--@example.com`, "plain@example.com", `robert'or'1'='1@example.com`},
			apitest.Emails(res.JSON200.Data))
	})
}

func TestTextThatPostgreSQLCannotStoreIsRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	u := env.CreateUser(apitest.UserOpts{Role: "staff"})
	ctx := t.Context()

	t.Run("a name with a NUL character is a validation error", func(t *testing.T) {
		res, err := env.Client.RegisterUserWithBodyWithResponse(ctx, "application/json",
			strings.NewReader(`{"email":"nul@example.com","password":"Correct-Horse-9","name":"Ada\u0000Lovelace"}`))
		require.NoError(t, err)
		e := apitest.RequireError(t, res, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireFieldsIn(t, e, client.Body, "name")
	})
	t.Run("a rename with a NUL character is a validation error", func(t *testing.T) {
		res, err := env.Client.UpdateUserWithBodyWithResponse(ctx, u.ID, "application/json", strings.NewReader(`{"name":"Sam\u0000"}`), u.Auth())
		require.NoError(t, err)
		e := apitest.RequireError(t, res, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireFieldsIn(t, e, client.Body, "name")
	})
	t.Run("a profile field with a NUL character is a validation error", func(t *testing.T) {
		res, err := env.Client.ReplaceUserProfileWithBodyWithResponse(ctx, u.ID, "application/json", strings.NewReader(`{"company":"Acme\u0000","city":"Leeds"}`), u.Auth())
		require.NoError(t, err)
		e := apitest.RequireError(t, res, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireFieldsIn(t, e, client.Body, "company")
	})
	for _, tc := range []struct{ name, query string }{
		{"a q with a NUL character is a validation error", "q=a%00b"},
		{"a q that is not UTF-8 is a validation error", "q=%FF%FE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := env.Do(http.MethodGet, "/api/v1/users?"+tc.query, "", nil, "Authorization", "Bearer "+u.Token)
			e := apitest.RequireRawError(t, res, body, http.StatusBadRequest, client.VALIDATIONERROR)
			apitest.RequireFieldsIn(t, e, client.Query, "q")
		})
	}
}

func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := t.Context()

	t.Run("liveness answers ok", func(t *testing.T) {
		res, err := env.Client.GetHealthWithResponse(ctx)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, client.HealthStatus("ok"), res.JSON200.Data.Status)
	})
	t.Run("readiness answers ok while the database answers", func(t *testing.T) {
		// Warm the pool first: on a loaded test machine, opening the first connection
		// alone can take longer than the one second readiness allows.
		require.NoError(t, env.Pool.Ping(ctx))
		res, err := env.Client.GetReadinessWithResponse(ctx)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, client.HealthStatus("ok"), res.JSON200.Data.Status)
	})

	var yamlPaths []string
	t.Run("the YAML contract is the embedded openapi.yaml", func(t *testing.T) {
		res, err := env.Client.GetOpenAPIYAMLWithResponse(ctx)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode())
		require.Contains(t, res.HTTPResponse.Header.Get("Content-Type"), "yaml")
		require.Equal(t, string(shopfloor.OpenAPIYAML), string(res.Body))
		require.NotNil(t, res.YAML200)
		paths, ok := (*res.YAML200)["paths"].(map[string]any)
		require.True(t, ok, "the document has paths")
		for p := range paths {
			yamlPaths = append(yamlPaths, p)
		}
		sort.Strings(yamlPaths)
		require.Contains(t, yamlPaths, "/api/v1/auth/register")
		require.Contains(t, yamlPaths, "/api/v1/users/{id}/profile")
	})
	t.Run("the JSON contract parses and has the same paths", func(t *testing.T) {
		res, err := env.Client.GetOpenAPIJSONWithResponse(ctx)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode())
		require.Contains(t, res.HTTPResponse.Header.Get("Content-Type"), "application/json")
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		require.NoError(t, json.Unmarshal(res.Body, &doc))
		require.Equal(t, "3.0.3", doc.OpenAPI)
		var paths []string
		for p := range doc.Paths {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		require.NotEmpty(t, yamlPaths)
		require.Equal(t, yamlPaths, paths)
	})

	for _, tc := range []struct {
		name, method, path string
		status             int
		code               client.ErrorCode
		allow              string
	}{
		{name: "an unknown API path is not found", method: "GET", path: "/api/v1/nope", status: 404, code: client.NOTFOUND},
		{name: "an unknown top-level path is not found", method: "GET", path: "/nope", status: 404, code: client.NOTFOUND},
		{name: "an unknown path under a secured prefix is not found, not unauthenticated", method: "POST", path: "/api/v1/users/" + uuid.NewString() + "/nope", status: 404, code: client.NOTFOUND},
		{name: "the API root is not found", method: "GET", path: "/api/v1", status: 404, code: client.NOTFOUND},
		{name: "GET on the login operation is not allowed", method: "GET", path: "/api/v1/auth/login", status: 405, code: client.METHODNOTALLOWED, allow: "POST"},
		{name: "DELETE on the register operation is not allowed", method: "DELETE", path: "/api/v1/auth/register", status: 405, code: client.METHODNOTALLOWED, allow: "POST"},
		{name: "POST on liveness is not allowed", method: "POST", path: "/healthz", status: 405, code: client.METHODNOTALLOWED, allow: "GET"},
		{name: "PUT on the user list is not allowed", method: "PUT", path: "/api/v1/users", status: 405, code: client.METHODNOTALLOWED, allow: "GET"},
		{name: "GET on a profile is not allowed", method: "GET", path: "/api/v1/users/" + uuid.NewString() + "/profile", status: 405, code: client.METHODNOTALLOWED, allow: "PUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := env.Do(tc.method, tc.path, "", nil)
			apitest.RequireRawError(t, res, body, tc.status, tc.code)
			if tc.allow != "" {
				require.Contains(t, res.Header.Get("Allow"), tc.allow)
			}
		})
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)

	t.Run("a well-formed incoming id is echoed", func(t *testing.T) {
		for _, id := range []string{"trace-123.abc_DEF", uuid.NewString(), strings.Repeat("a", 128)} {
			res, _ := env.Do(http.MethodGet, "/healthz", "", nil, "X-Request-Id", id)
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, id, res.Header.Get("X-Request-Id"))
		}
	})
	t.Run("a well-formed incoming id is quoted in error bodies", func(t *testing.T) {
		res, body := env.Do(http.MethodPost, "/api/v1/auth/login", "application/json", []byte(`{"email":"x@example.com","password":"x"}`), "X-Request-Id", "req-login-1")
		e := apitest.RequireRawError(t, res, body, http.StatusUnauthorized, client.UNAUTHENTICATED)
		require.Equal(t, "req-login-1", e.RequestId)
	})
	for _, tc := range []struct{ name, id string }{
		{"an id with spaces is replaced", "has spaces"},
		{"an id with a slash is replaced", "a/b"},
		{"an id over 128 characters is replaced", strings.Repeat("a", 129)},
		{"an id with a quote is replaced", `x"y`},
		{"an id with non-ASCII letters is replaced", "idé"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := env.Do(http.MethodGet, "/api/v1/nope", "", nil, "X-Request-Id", tc.id)
			got := res.Header.Get("X-Request-Id")
			require.NotEqual(t, tc.id, got)
			_, err := uuid.Parse(got)
			require.NoError(t, err, "the replacement %q is a new UUID", got)
			e := apitest.RequireRawError(t, res, body, http.StatusNotFound, client.NOTFOUND)
			require.Equal(t, got, e.RequestId)
		})
	}
	t.Run("requests without an id get distinct new ones", func(t *testing.T) {
		a, _ := env.Do(http.MethodGet, "/healthz", "", nil)
		b, _ := env.Do(http.MethodGet, "/healthz", "", nil)
		require.NotEmpty(t, a.Header.Get("X-Request-Id"))
		require.NotEqual(t, a.Header.Get("X-Request-Id"), b.Header.Get("X-Request-Id"))
	})
	t.Run("the server logs each request with its id", func(t *testing.T) {
		res, _ := env.Do(http.MethodGet, "/healthz", "", nil, "X-Request-Id", "logged-id-42")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, env.Logs(), `"logged-id-42"`)
	})
}
