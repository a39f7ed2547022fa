package engine

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// settingTypes maps each schema of settingSchemas to the Go type the
// typed decoder fills.
var settingTypes = map[string]any{
	"CreateCollection":     CreateCollection{},
	"UpdateCollection":     CollectionUpdate{},
	"VectorParams":         VectorParams{},
	"VectorParamsDiff":     VectorParamsDiff{},
	"HnswConfigDiff":       HnswConfigDiff{},
	"OptimizersConfigDiff": OptimizersConfigDiff{},
	"WalConfigDiff":        WalConfigDiff{},
	"CollectionParamsDiff": CollectionParamsDiff{},
	"SparseVectorParams":   SparseVectorParams{},
	"SparseIndexParams":    SparseIndexParams{},
	"StrictModeConfig":     StrictModeConfig{},
}

// settingPlaces are bodies that carry a schema's fields: F stands for the
// field, path is where the field sits in the body.
var settingPlaces = map[string][]struct {
	update     bool
	body, path string
}{
	"CreateCollection":     {{false, `{"vectors":{"size":4,"distance":"Dot"},F}`, ""}},
	"UpdateCollection":     {{true, `{F}`, ""}},
	"VectorParams":         {{false, `{"vectors":{"size":4,"distance":"Dot",F}}`, "vectors"}, {false, `{"vectors":{"a":{"size":4,"distance":"Dot"},"b":{"size":4,"distance":"Dot",F}}}`, "vectors.b"}},
	"VectorParamsDiff":     {{true, `{"vectors":{"":{F}}}`, "vectors"}, {true, `{"vectors":{"a":{F}}}`, "vectors.a"}},
	"HnswConfigDiff":       {{false, `{"vectors":{"size":4,"distance":"Dot"},"hnsw_config":{F}}`, "hnsw_config"}, {false, `{"vectors":{"a":{"size":4,"distance":"Dot","hnsw_config":{F}}}}`, "vectors.a.hnsw_config"}, {true, `{"hnsw_config":{F}}`, "hnsw_config"}, {true, `{"vectors":{"a":{"hnsw_config":{F}}}}`, "vectors.a.hnsw_config"}},
	"OptimizersConfigDiff": {{false, `{"vectors":{"size":4,"distance":"Dot"},"optimizers_config":{F}}`, "optimizers_config"}, {true, `{"optimizers_config":{F}}`, "optimizers_config"}},
	"WalConfigDiff":        {{false, `{"vectors":{"size":4,"distance":"Dot"},"wal_config":{F}}`, "wal_config"}},
	"CollectionParamsDiff": {{true, `{"params":{F}}`, "params"}},
	"SparseVectorParams":   {{false, `{"sparse_vectors":{"text":{F}}}`, "sparse_vectors.text"}, {true, `{"sparse_vectors":{"text":{F}}}`, "sparse_vectors.text"}},
	"SparseIndexParams":    {{false, `{"sparse_vectors":{"text":{"index":{F}}}}`, "sparse_vectors.text.index"}, {true, `{"sparse_vectors":{"text":{"index":{F}}}}`, "sparse_vectors.text.index"}},
	"StrictModeConfig":     {{false, `{"vectors":{"size":4,"distance":"Dot"},"strict_mode_config":{F}}`, "strict_mode_config"}, {true, `{"strict_mode_config":{F}}`, "strict_mode_config"}},
}

func jsonTags(v any) map[string]bool {
	tags := map[string]bool{}
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		tags[name] = true
	}
	return tags
}

// TestSettingSchemasCoverOpenAPI walks the properties of Qdrant's
// settings schemas (testdata: a subset of Qdrant's OpenAPI) and checks
// every one is either decoded into Cairn's type (implemented or stored) or
// refused with 400 naming it, wherever the schema appears in a body; and
// that a refused setting's null (and default) value is accepted.
func TestSettingSchemasCoverOpenAPI(t *testing.T) {
	raw, err := os.ReadFile("testdata/qdrant-openapi-collection-schemas.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(settingSchemas) != len(settingTypes) || len(settingSchemas) != len(settingPlaces) {
		t.Fatalf("%d schemas, %d types, %d places", len(settingSchemas), len(settingTypes), len(settingPlaces))
	}
	for schema, rules := range settingSchemas {
		props := doc.Schemas[schema].Properties
		if len(props) == 0 {
			t.Fatalf("%s: not in the OpenAPI subset", schema)
		}
		for p := range props {
			if _, ok := rules[p]; !ok {
				t.Errorf("%s.%s: in Qdrant's OpenAPI, neither implemented nor refused", schema, p)
			}
		}
		tags := jsonTags(settingTypes[schema])
		for field, r := range rules {
			if _, ok := props[field]; !ok {
				t.Errorf("%s.%s: not a field of Qdrant's schema", schema, field)
			}
			if decoded := tags[field]; decoded != (r.kind != refused) {
				t.Errorf("%s.%s: rule %d, but decoded into %T: %v", schema, field, r.kind, settingTypes[schema], decoded)
			}
			if r.kind != implemented && r.why == "" {
				t.Errorf("%s.%s: no reason given", schema, field)
			}
			if r.kind != refused {
				continue
			}
			for _, place := range settingPlaces[schema] {
				check := CheckCreateCollection
				if place.update {
					check = CheckCollectionUpdate
				}
				body := strings.Replace(place.body, "F", `"`+field+`":{"probe":1}`, 1)
				want := strings.TrimPrefix(place.path+"."+field, ".")
				err := check([]byte(body))
				if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), want+": ") {
					t.Errorf("%s: %v, want a refusal naming %s", body, err, want)
				}
				if err := check([]byte(strings.Replace(place.body, "F", `"`+field+`":null`, 1))); err != nil {
					t.Errorf("%s null: %v", want, err)
				}
			}
		}
	}
	accepted := []string{`"sharding_method":"auto"`, `"sparse_vectors":{}`, `"strict_mode_config":{"enabled":false}`,
		`"strict_mode_config":{}`, `"payload":{"memory":null}`, `"metadata":{"a":1}`, `"unknown_field":1`}
	for _, f := range accepted {
		if err := CheckCreateCollection([]byte(`{"vectors":{"size":4,"distance":"Dot","datatype":"float32"},` + f + `}`)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, body := range []string{`{"params":{"read_fan_out_factor":0}}`, `{"hnsw_config":{"inline_storage":false}}`, `{"optimizers_config":{"prevent_unoptimized":false}}`} {
		if err := CheckCollectionUpdate([]byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	if err := CheckCreateCollection([]byte(`{"vectors":{"size":{"size":4,"distance":"Dot","datatype":"uint8"}}}`)); err == nil || !strings.Contains(err.Error(), "vectors.size.datatype") {
		t.Errorf("a vector named size: %v", err)
	}
	if err := CheckCreateCollection([]byte(`{"vectors":{"size":4,"distance":"Dot","datatype":"float16"}}`)); err == nil || !strings.Contains(err.Error(), "vectors.datatype: datatypes other than float32") {
		t.Errorf("float16: %v", err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range settingSchemas {
			if !yield(k) {
				return
			}
		}
	})
	t.Logf("checked schemas %v", names)
}

// TestSettingsDocumented: docs/settings.md names every refused or stored
// setting of the table.
func TestSettingsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/settings.md")
	if err != nil {
		t.Fatal(err)
	}
	for schema, rules := range settingSchemas {
		for field, r := range rules {
			if r.kind != implemented && !strings.Contains(string(doc), "`"+field+"`") && !strings.Contains(string(doc), "."+field+"`") {
				t.Errorf("%s.%s: not in docs/settings.md", schema, field)
			}
		}
	}
}
