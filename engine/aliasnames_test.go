package engine

import (
	"errors"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestAliasNeverTakesCollectionName checks that neither create_alias nor
// rename_alias gives an alias the name of a collection (400, Qdrant's
// "Collection `b` already exists!"), and that a refused batch changes no
// alias. Before, rename_alias checked only the alias table, and the full
// snapshot of such a storage could not be restored.
func TestAliasNeverTakesCollectionName(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	for _, n := range []string{"a", "b"} {
		if err := st.CreateCollection(n, CreateCollection{Vectors: VectorsConfig{"": {Size: 2, Distance: point.Dot}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: "x"}}}); err != nil {
		t.Fatal(err)
	}
	const want = "Wrong input: Collection `b` already exists!"
	for what, ops := range map[string][]AliasOp{
		"rename_alias": {{RenameAlias: &RenameAlias{OldAliasName: "x", NewAliasName: "b"}}},
		"create_alias": {{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: "b"}}},
		"batch": {
			{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: "y"}},
			{RenameAlias: &RenameAlias{OldAliasName: "x", NewAliasName: "b"}},
		},
	} {
		err := st.UpdateAliases(ops)
		if !errors.Is(err, ErrBadRequest) || err.Error() != want {
			t.Fatalf("%s onto a collection name: %v, want ErrBadRequest %q", what, err, want)
		}
		if as := st.ListAliases(); len(as) != 1 || as[0] != (AliasDescription{AliasName: "x", CollectionName: "a"}) {
			t.Fatalf("%s refused, aliases %v", what, as)
		}
	}
}

// TestNamesMustBeUTF8: every name the engine takes from a caller (a
// collection, an alias, a payload index field, a vector) is refused when
// it is not valid UTF-8, whatever the transport.
func TestNamesMustBeUTF8(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	vec := VectorsConfig{"": {Size: 2, Distance: point.Dot}}
	if err := st.CreateCollection("\xff\xfe", CreateCollection{Vectors: vec}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("collection named \\xff\\xfe: %v, want ErrInvalid", err)
	}
	if err := st.CreateCollection("v", CreateCollection{Vectors: VectorsConfig{"\xff": {Size: 2, Distance: point.Dot}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("vector named \\xff: %v, want ErrInvalid", err)
	}
	if err := st.CreateCollection("c", CreateCollection{Vectors: vec}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "c", AliasName: "a\xc3"}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("alias named a\\xc3: %v, want ErrInvalid", err)
	}
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFieldIndex(ctxb, "k\xff", payload.FieldSchema{Type: payload.TypeKeyword}, true); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("index on k\\xff: %v, want ErrBadRequest", err)
	}
	if got := st.ListCollections(); len(got) != 1 || got[0] != "c" {
		t.Fatalf("collections %q", got)
	}
}
