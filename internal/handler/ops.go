package handler

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/docs"
)

// GetHealth answers while the process is up, without touching the database.
func (h *Handler) GetHealth(context.Context, api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Success: api.True, Data: api.Health{Status: api.Ok}}, nil
}

// GetReadiness answers 200 only when the database answers within a second, so a load
// balancer stops sending traffic to a replica that cannot serve it.
func (h *Handler) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := h.Pool.Ping(ctx); err != nil {
		return nil, apperr.Unavailable(err)
	}
	return api.GetReadiness200JSONResponse{Success: api.True, Data: api.Health{Status: api.Ok}}, nil
}

// GetOpenAPIYAML serves the contract the server was built from.
func (h *Handler) GetOpenAPIYAML(context.Context, api.GetOpenAPIYAMLRequestObject) (api.GetOpenAPIYAMLResponseObject, error) {
	return api.GetOpenAPIYAML200ApplicationyamlResponse{
		Body: bytes.NewReader(h.SpecYAML), ContentLength: int64(len(h.SpecYAML)),
	}, nil
}

// specJSON writes the JSON rendering made once at start, instead of re-encoding the
// document through a map on every request.
type specJSON []byte

func (s specJSON) VisitGetOpenAPIJSONResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(s)
	return err
}

// GetOpenAPIJSON serves the contract as JSON.
func (h *Handler) GetOpenAPIJSON(context.Context, api.GetOpenAPIJSONRequestObject) (api.GetOpenAPIJSONResponseObject, error) {
	return specJSON(h.SpecJSON), nil
}

// metricsResponse writes the registry in the Prometheus text format.
type metricsResponse struct{ h http.Handler }

func (m metricsResponse) VisitGetMetricsResponse(w http.ResponseWriter) error {
	m.h.ServeHTTP(w, &http.Request{Method: http.MethodGet, Header: http.Header{}})
	return nil
}

// GetMetrics serves the Prometheus metrics.
func (h *Handler) GetMetrics(context.Context, api.GetMetricsRequestObject) (api.GetMetricsResponseObject, error) {
	return metricsResponse{h: h.metricsHTTP}, nil
}

// GetDocs serves the API reference page.
func (h *Handler) GetDocs(context.Context, api.GetDocsRequestObject) (api.GetDocsResponseObject, error) {
	return api.GetDocs200TexthtmlResponse{Body: bytes.NewReader(docs.Page), ContentLength: int64(len(docs.Page))}, nil
}

// GetDocsScript serves the Redoc bundle the reference page runs.
func (h *Handler) GetDocsScript(context.Context, api.GetDocsScriptRequestObject) (api.GetDocsScriptResponseObject, error) {
	return api.GetDocsScript200TextjavascriptResponse{
		Body: bytes.NewReader(docs.RedocScript), ContentLength: int64(len(docs.RedocScript)),
	}, nil
}
