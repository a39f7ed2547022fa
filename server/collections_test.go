package server

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestCollectionRoutes(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c1", `{"vectors":{"size":4,"distance":"Cosine"}}`)
	mustFail(t, s, "PUT", "/collections/c1", `{"vectors":{"size":4,"distance":"Cosine"}}`, http.StatusConflict, "already exists")
	mustFail(t, s, "PUT", "/collections/c2", `{"vectors":{"size":4,"distance":"Cosin"}}`, 400, "distance", "Cosin")
	mustFail(t, s, "PUT", "/collections/c2", `{"vectors":{"size":0,"distance":"Dot"}}`, 422, "vectors.size")
	mustFail(t, s, "PUT", "/collections/c2", `{"vectors":{"size":"four","distance":"Dot"}}`, 400, "Format error")
	mustFail(t, s, "PUT", "/collections/c2", `{"vectors":`, 400, "Format error in JSON body")

	list := decode[map[string][]map[string]string](t, mustOK(t, s, "GET", "/collections", ""))
	if len(list["collections"]) != 1 || list["collections"][0]["name"] != "c1" {
		t.Fatalf("list %v", list)
	}
	info := decode[map[string]any](t, mustOK(t, s, "GET", "/collections/c1", ""))
	if info["status"] != "green" || info["config"] == nil || info["points_count"] == nil {
		t.Fatalf("info %v", info)
	}
	mustFail(t, s, "GET", "/collections/nope", "", 404, "Collection `nope` doesn't exist")
	if e := decode[map[string]bool](t, mustOK(t, s, "GET", "/collections/c1/exists", "")); !e["exists"] {
		t.Fatal("exists false")
	}
	if e := decode[map[string]bool](t, mustOK(t, s, "GET", "/collections/nope/exists", "")); e["exists"] {
		t.Fatal("exists true")
	}
	mustOK(t, s, "PATCH", "/collections/c1", `{"optimizers_config":{"indexing_threshold":20000}}`)
	info = decode[map[string]any](t, mustOK(t, s, "GET", "/collections/c1", ""))
	if oc := info["config"].(map[string]any)["optimizer_config"].(map[string]any); oc["indexing_threshold"].(json.Number).String() != "20000" {
		t.Fatalf("patch not applied: %v", oc)
	}
	mustFail(t, s, "PATCH", "/collections/nope", `{}`, 404)
	if string(mustOK(t, s, "DELETE", "/collections/c1", "")) != "true" {
		t.Fatal("delete")
	}
	if string(mustOK(t, s, "DELETE", "/collections/c1", "")) != "false" {
		t.Fatal("second delete")
	}
}

func TestAliasRoutes(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c1", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "POST", "/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"c1","alias_name":"a1"}}]}`)
	al := decode[map[string][]map[string]string](t, mustOK(t, s, "GET", "/aliases", ""))
	if len(al["aliases"]) != 1 || al["aliases"][0]["alias_name"] != "a1" || al["aliases"][0]["collection_name"] != "c1" {
		t.Fatalf("aliases %v", al)
	}
	al = decode[map[string][]map[string]string](t, mustOK(t, s, "GET", "/collections/c1/aliases", ""))
	if len(al["aliases"]) != 1 {
		t.Fatalf("collection aliases %v", al)
	}
	// The alias works wherever a collection name does.
	mustOK(t, s, "PUT", "/collections/a1/points?wait=true", `{"points":[{"id":1,"vector":[1,0]}]}`)
	if c := decode[map[string]int](t, mustOK(t, s, "POST", "/collections/a1/points/count", `{}`)); c["count"] != 1 {
		t.Fatalf("count via alias %v", c)
	}
	mustOK(t, s, "GET", "/collections/a1", "")
	// A collection may not take an alias's name: 400, Qdrant's wording.
	mustFail(t, s, "PUT", "/collections/a1", `{"vectors":{"size":2,"distance":"Dot"}}`, 400,
		"Wrong input: Can't create collection with name a1. Alias with the same name already exists")
	mustOK(t, s, "POST", "/collections/aliases", `{"actions":[{"rename_alias":{"old_alias_name":"a1","new_alias_name":"a2"}}]}`)
	mustFail(t, s, "GET", "/collections/a1", "", 404)
	mustOK(t, s, "GET", "/collections/a2", "")
	mustOK(t, s, "POST", "/collections/aliases", `{"actions":[{"delete_alias":{"alias_name":"a2"}}]}`)
	al = decode[map[string][]map[string]string](t, mustOK(t, s, "GET", "/aliases", ""))
	if len(al["aliases"]) != 0 {
		t.Fatalf("aliases after delete %v", al)
	}
	mustFail(t, s, "POST", "/collections/aliases", `{"actions":[{}]}`, 400, "actions[0]")
	mustFail(t, s, "POST", "/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"nope","alias_name":"x"}}]}`, 404)
	mustFail(t, s, "GET", "/collections/nope/aliases", "", 404)
}

func TestIndexRoutes(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c1", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/c1/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"payload":{"city":"Berlin"}}]}`)
	res := decode[map[string]any](t, mustOK(t, s, "PUT", "/collections/c1/index?wait=true", `{"field_name":"city","field_schema":"keyword"}`))
	if res["status"] != "completed" {
		t.Fatalf("index result %v", res)
	}
	info := decode[map[string]any](t, mustOK(t, s, "GET", "/collections/c1", ""))
	schema := info["payload_schema"].(map[string]any)
	if city, found := schema["city"].(map[string]any); !found || city["data_type"] != "keyword" {
		t.Fatalf("payload_schema %v", schema)
	}
	mustFail(t, s, "PUT", "/collections/c1/index", `{"field_name":"x"}`, 400, "field_schema")
	mustFail(t, s, "PUT", "/collections/c1/index", `{"field_schema":"keyword"}`, 400, "field_name")
	mustFail(t, s, "PUT", "/collections/c1/index", `{"field_name":"x","field_schema":"colour"}`, 400)
	mustFail(t, s, "PUT", "/collections/nope/index", `{"field_name":"x","field_schema":"keyword"}`, 404)
	mustOK(t, s, "DELETE", "/collections/c1/index/city?wait=true", "")
	info = decode[map[string]any](t, mustOK(t, s, "GET", "/collections/c1", ""))
	if len(info["payload_schema"].(map[string]any)) != 0 {
		t.Fatalf("index not deleted: %v", info["payload_schema"])
	}
}

func TestNoStorageIs503(t *testing.T) {
	s := New(Options{})
	mustFail(t, s, "GET", "/collections", "", http.StatusServiceUnavailable, "storage")
	mustFail(t, s, "PUT", "/collections/c/points", `{"points":[]}`, http.StatusServiceUnavailable)
}
