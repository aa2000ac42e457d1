package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
)

func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: shopfloor user create --email E --name N [--role admin|staff] [--password P]")
	}
	fs := newFlags("user create", "user create --email E --name N [--role admin|staff] [--password P | password on stdin]", stdout)
	email := fs.String("email", "", "email of the new account (required)")
	name := fs.String("name", "", "display name, 2–50 characters (required)")
	role := fs.String("role", auth.RoleAdmin, "admin or staff")
	password := fs.String("password", "", "password; read from the first line of stdin when not given")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *role != auth.RoleAdmin && *role != auth.RoleStaff {
		return fmt.Errorf("--role must be admin or staff, got %q", *role)
	}
	pw := *password
	if pw == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	cfg, err := config.LoadDatabase(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost, 1)
	if err != nil {
		return fmt.Errorf("BCRYPT_COST: %w", err)
	}
	// The same rules as registration: checked before the database is opened.
	a := account.Account{Email: *email, Name: *name, Password: pw, Role: *role}
	if details := a.Problems(); len(details) > 0 {
		return accountError(apperr.Validation(details...))
	}
	pool, err := database.Open(ctx, cfg, database.Options{})
	if err != nil {
		return err
	}
	defer pool.Close()
	id, err := account.Create(ctx, pool, hasher, a, nil)
	if err != nil {
		return accountError(err)
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", a.Role, a.Email, id)
	return nil
}

// accountError says what account.Create refused in the flags' terms: each problem
// as "--field: message", an email taken as such.
func accountError(err error) error {
	e := apperr.As(err)
	if e == nil || e.Status >= 500 {
		return fmt.Errorf("create user: %w", err)
	}
	var lines []string
	for _, d := range e.Details {
		lines = append(lines, fmt.Sprintf("--%s %s", d.Field, d.Message))
	}
	if len(lines) == 0 {
		return errors.New(e.Message)
	}
	return errors.New(strings.Join(lines, "; "))
}
