package httpapi_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/httpapi"
)

// Every registered route, and every error code, is in api/openapi.yaml; and the file
// names no route that is not registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// paths: "  /path:" at two spaces, methods: "    get:" at four under it.
	documented := map[string]bool{}
	path := ""
	inPaths := false
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case line == "paths:":
			inPaths = true
		case inPaths && regexp.MustCompile(`^  /\S*:$`).MatchString(line):
			path = strings.TrimSuffix(strings.TrimSpace(line), ":")
		case inPaths && regexp.MustCompile(`^    (get|post|put|patch|delete):$`).MatchString(line):
			documented[strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(line), ":"))+" "+path] = true
		case inPaths && line != "" && !strings.HasPrefix(line, " "):
			inPaths = false
		}
	}
	e := newEnv(t, testConfig(), realEngine(t))
	registered := map[string]bool{}
	for _, rt := range e.api.Routes() {
		registered[rt] = true
		if !documented[rt] {
			t.Errorf("route %s is not in api/openapi.yaml", rt)
		}
	}
	for rt := range documented {
		if !registered[rt] {
			t.Errorf("api/openapi.yaml documents %s, which is not registered", rt)
		}
	}
	for _, code := range httpapi.Codes() {
		if !strings.Contains(string(doc), "| "+code+" |") {
			t.Errorf("error code %s is not documented", code)
		}
	}
}
