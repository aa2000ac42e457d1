package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/shopfloor/shopfloor/internal/contract"
)

// contractCmd runs the contract tour against a deployment (internal/contract) and
// fails when any response breaks the spec or has an unexpected status.
func contractCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := newFlags("contract", "contract --base URL [--admin-email E] [--junit FILE] [--run-id ID] [--email-domain D] [--timeout 30s]\n\n"+
		"Runs a tour of the API against a deployment through the generated client and checks every\n"+
		"response against openapi.yaml. It registers its own accounts (contract-<run id>-…@<domain>)\n"+
		"and, with admin credentials, its own products (CT-<RUN ID>-…), and leaves them cancelled,\n"+
		"archived or deactivated. The admin password comes from CONTRACT_ADMIN_PASSWORD (or\n"+
		"--admin-password). Exits 1 on any violation or unexpected status.\n", stdout)
	base := fs.String("base", getenv("CONTRACT_BASE_URL"), "the deployment's root URL, e.g. https://staging.example.com (env CONTRACT_BASE_URL)")
	adminEmail := fs.String("admin-email", getenv("CONTRACT_ADMIN_EMAIL"), "an admin account for the staff and admin operations (env CONTRACT_ADMIN_EMAIL)")
	adminPassword := fs.String("admin-password", "", "its password; prefer the environment, flags show in ps (env CONTRACT_ADMIN_PASSWORD)")
	junit := fs.String("junit", "", "write the results as JUnit XML to this file")
	runID := fs.String("run-id", "", "marks the data the run creates (letters and digits; random by default)")
	domain := fs.String("email-domain", contract.DefaultEmailDomain, "domain of the accounts the run registers")
	timeout := fs.Duration("timeout", 30*time.Second, "how long one request may take before its check fails")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		fs.Usage()
		return errors.New("--base is required")
	}
	password := *adminPassword
	if password == "" {
		password = getenv("CONTRACT_ADMIN_PASSWORD")
	}
	if *timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", *timeout)
	}
	report, err := contract.Run(ctx, contract.Config{BaseURL: *base, AdminEmail: *adminEmail, AdminPassword: password,
		RunID: *runID, EmailDomain: *domain, HTTPClient: &http.Client{Timeout: *timeout}, Out: stdout})
	if err != nil {
		return err
	}
	if *junit != "" {
		if err := writeJUnit(*junit, report); err != nil {
			return err
		}
	}
	if report.Failed() {
		return fmt.Errorf("contract: %d of %d checks failed", len(report.Failures()), len(report.Steps))
	}
	return nil
}

func writeJUnit(path string, report *contract.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--junit: %w", err)
	}
	if err := report.WriteJUnit(f); err != nil {
		f.Close()
		return fmt.Errorf("--junit: %w", err)
	}
	return f.Close()
}
