package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/database"
	"github.com/shopfloor/shopfloor/internal/db"
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
	e := strings.ToLower(strings.TrimSpace(*email))
	n := strings.TrimSpace(*name)
	switch {
	case e == "" || !strings.Contains(e, "@"):
		return errors.New("--email is required and must be an email address")
	case len([]rune(n)) < 2 || len([]rune(n)) > 50:
		return errors.New("--name is required and must be 2 to 50 characters")
	case *role != auth.RoleAdmin && *role != auth.RoleStaff:
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
	if problems := auth.CheckPasswordStrength(pw); len(problems) > 0 {
		return fmt.Errorf("password %s", strings.Join(problems, "; "))
	}
	cfg, err := config.LoadDatabase(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost, 1)
	if err != nil {
		return fmt.Errorf("BCRYPT_COST: %w", err)
	}
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg, database.Options{})
	if err != nil {
		return err
	}
	defer pool.Close()
	id, err := db.New(pool).UserCreate(ctx, db.UserCreateParams{Email: e, Name: n, PasswordHash: hash, Role: *role})
	if err != nil {
		if strings.Contains(err.Error(), "users_email_key") {
			return fmt.Errorf("an account with email %s already exists", e)
		}
		return fmt.Errorf("create user: %w", err)
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", *role, e, id)
	return nil
}
