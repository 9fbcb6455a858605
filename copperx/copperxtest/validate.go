package copperxtest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// openapiJSON is a byte-for-byte copy of /work/shared/copperx-openapi.json
// (a test keeps the two equal).
//
//go:embed openapi.json
var openapiJSON []byte

// spec is the parsed OpenAPI document and its router.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

// sharedSpec loads the document once per process; the loaded document
// and router are only read afterwards, so emulators share them.
var sharedSpec = sync.OnceValues(loadSpec)

// loadSpec parses the embedded document and applies patchSpec.
func loadSpec() (*spec, error) {
	var raw map[string]any
	if err := json.Unmarshal(openapiJSON, &raw); err != nil {
		return nil, fmt.Errorf("decode openapi.json: %w", err)
	}
	patchSpec(raw)
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("encode openapi.json: %w", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	router, err := legacy.NewRouter(doc, validationOptions()...)
	if err != nil {
		return nil, fmt.Errorf("route openapi.json: %w", err)
	}
	return &spec{doc: doc, router: router}, nil
}

// patchSpec repairs, in memory, what kin-openapi cannot load and where the
// document contradicts copperx-api.md (README.md lists these):
//   - the only server is the production host: dropped, so that the router
//     matches requests to the emulator whatever its address;
//   - the schema "Date" is referenced (startDate/endDate of GET
//     /api/transfers, declared style=deepObject) but never defined: those
//     parameters become plain strings (startDate=2025-01-01);
//   - a "$ref" to "#/components/schemas/" (GET /api/kycs/status/{email})
//     becomes an unconstrained schema;
//   - ErrorDto.message is typed object, but is a string, an array of
//     strings or an array of constraint objects: any type is accepted;
//   - isDefault of WalletDto and WalletBalanceDto may be null;
//   - a send-batch item that failed carries "error" and no "response", so
//     "response" is not required.
func patchSpec(raw map[string]any) {
	delete(raw, "servers")
	fixEmptyRefs(raw)
	schemas := dig(raw, "components", "schemas")
	if schemas != nil {
		if _, ok := schemas["Date"]; !ok {
			schemas["Date"] = map[string]any{"type": "string"}
		}
		if props := dig(schemas, "ErrorDto", "properties"); props != nil {
			props["message"] = map[string]any{}
		}
		for _, name := range []string{"WalletDto", "WalletBalanceDto"} {
			if p := dig(schemas, name, "properties", "isDefault"); p != nil {
				p["nullable"] = true
			}
		}
		if item := dig(schemas, "CreateSendTransferBatchSingleResponseDto"); item != nil {
			item["required"] = []any{"requestId", "request"}
		}
	}
	if get := dig(raw, "paths", "/api/transfers", "get"); get != nil {
		params, _ := get["parameters"].([]any)
		for _, p := range params {
			pm, _ := p.(map[string]any)
			if sch, _ := pm["schema"].(map[string]any); sch != nil && sch["$ref"] == "#/components/schemas/Date" {
				delete(pm, "style")
				delete(pm, "explode")
				pm["schema"] = map[string]any{"type": "string"}
			}
		}
	}
}

// dig walks nested JSON objects.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

// fixEmptyRefs replaces the document's dangling "#/components/schemas/"
// reference (GET /api/kycs/status/{email}) with an unconstrained schema.
func fixEmptyRefs(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if m, ok := child.(map[string]any); ok && m["$ref"] == "#/components/schemas/" {
				v[k] = map[string]any{}
				continue
			}
			fixEmptyRefs(child)
		}
	case []any:
		for _, child := range v {
			fixEmptyRefs(child)
		}
	}
}

func validationOptions() []openapi3.ValidationOption {
	return []openapi3.ValidationOption{
		openapi3.DisableExamplesValidation(),
		openapi3.DisableSchemaDefaultsValidation(),
		openapi3.DisableSchemaFormatValidation(),
		openapi3.AllowExtraSiblingFields("validation", "toLowerCase"),
	}
}

// handle authenticates and validates the request, then dispatches it to
// the endpoint.
func (s *Server) handle(w *httptest.ResponseRecorder, r *http.Request, body []byte) {
	s.Tick() // due schedules and settling, before the request sees the state
	route, params, err := s.spec.router.FindRoute(r)
	if err != nil {
		writeError(w, notFound(fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path)))
		return
	}
	ctx := r.Context()
	if sec := route.Operation.Security; sec != nil && len(*sec) > 0 {
		sess := s.authenticate(r)
		if sess == nil {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized", "statusCode": http.StatusUnauthorized})
			return
		}
		ctx = context.WithValue(ctx, sessionKey{}, sess)
	}
	if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		writeError(w, errStatus(http.StatusBadRequest, "Unexpected token in JSON at position 0"))
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		writeError(w, unprocessable(validationMessages(err)))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mux.ServeHTTP(w, r.WithContext(ctx))

	if s.cfg.responseCheck != nil && w.Code/100 == 2 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 w.Code,
			Header:                 w.Header(),
			Options:                &openapi3filter.Options{MultiError: true},
		}
		out.SetBodyBytes(w.Body.Bytes())
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			s.cfg.responseCheck(r.Method, r.URL.Path, err)
		}
	}
}

// validationMessages turns a kin-openapi error into class-validator style
// messages that name the field ("amount must be a string").
func validationMessages(err error) []string {
	var out []string
	var walk func(prefix string, err error)
	walk = func(prefix string, err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, x := range e {
				walk(prefix, x)
			}
		case *openapi3filter.RequestError:
			if e.Parameter != nil {
				prefix = e.Parameter.Name
			}
			switch e.Err.(type) {
			case openapi3.MultiError, *openapi3.SchemaError:
				walk(prefix, e.Err)
				return
			}
			var se *openapi3.SchemaError
			if errors.As(e.Err, &se) {
				out = append(out, schemaMessage(prefix, se))
				return
			}
			if prefix == "" {
				prefix = "body"
			}
			out = append(out, prefix+" "+reasonOf(e))
		case *openapi3.SchemaError:
			out = append(out, schemaMessage(prefix, e))
		default:
			var se *openapi3.SchemaError
			if errors.As(err, &se) {
				out = append(out, schemaMessage(prefix, se))
				return
			}
			out = append(out, err.Error())
		}
	}
	walk("", err)
	sort.Strings(out)
	return out
}

func reasonOf(re *openapi3filter.RequestError) string {
	if re.Reason != "" && re.Err != nil {
		return re.Reason + ": " + re.Err.Error()
	}
	if re.Reason != "" {
		return re.Reason
	}
	if re.Err != nil {
		return re.Err.Error()
	}
	return "is invalid"
}

// schemaMessage names the field of a schema error: "amount must be
// string", "requests.0.request.purposeCode must be one of [...]",
// "walletAddress should not be empty".
func schemaMessage(prefix string, se *openapi3.SchemaError) string {
	path := se.JSONPointer()
	reason := se.Reason
	if se.SchemaField == "required" {
		if i := strings.Index(reason, `"`); i >= 0 {
			if j := strings.LastIndex(reason, `"`); j > i {
				name := reason[i+1 : j]
				if len(path) == 0 || path[len(path)-1] != name {
					path = append(path, name)
				}
				reason = "should not be empty"
			}
		}
	}
	reason = strings.TrimPrefix(reason, "value ")
	reason = strings.Replace(reason, "is not one of the allowed values", "must be one of the following values:", 1)
	field := strings.Join(path, ".")
	if prefix != "" && field != "" {
		field = prefix + "." + field
	} else if prefix != "" {
		field = prefix
	}
	if field == "" {
		field = "body"
	}
	return field + " " + reason
}
