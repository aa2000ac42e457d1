package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// This file reads the standard OTEL_* variables (listed in Vars): Load checks them
// so that a bad one stops the program at start naming it, though the OpenTelemetry
// SDK and exporter read them again themselves.

// Tracing holds what Load decided about traces; the exporter and SDK take the details
// from the same variables.
type Tracing struct {
	// Enabled: an OTLP endpoint is set, and neither OTEL_SDK_DISABLED nor
	// OTEL_TRACES_EXPORTER=none turns tracing off.
	Enabled bool
	// Protocol is "http/protobuf" or "grpc".
	Protocol string
}

var samplers = []string{"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}

func (p *parser) tracing() Tracing {
	disabled := false
	switch v := strings.ToLower(p.str("OTEL_SDK_DISABLED", "false")); v {
	case "true":
		disabled = true
	case "false":
	default:
		p.fail("OTEL_SDK_DISABLED", fmt.Sprintf("must be true or false, got %q", v))
	}
	exporter := p.oneOf("OTEL_TRACES_EXPORTER", "otlp", "otlp", "none")
	protocol := p.oneOf("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "http/protobuf", "grpc")
	protocol = p.oneOf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", protocol, "http/protobuf", "grpc")
	endpoint := false
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		v := p.str(name, "")
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.fail(name, fmt.Sprintf("must be an http:// or https:// URL such as http://otel-collector:4318, got %q", v))
			continue
		}
		endpoint = true
	}
	if v := strings.ToLower(p.str("OTEL_TRACES_SAMPLER", "")); v != "" {
		p.oneOf("OTEL_TRACES_SAMPLER", v, samplers...)
	}
	if v := p.str("OTEL_TRACES_SAMPLER_ARG", ""); v != "" {
		if r, err := strconv.ParseFloat(v, 64); err != nil || r < 0 || r > 1 {
			p.fail("OTEL_TRACES_SAMPLER_ARG", fmt.Sprintf("must be a ratio from 0 to 1, got %q", v))
		}
	}
	return Tracing{Enabled: endpoint && !disabled && exporter == "otlp", Protocol: protocol}
}
