package objstore_test

import (
	"testing"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/storetest"
)

func TestMemContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) objstore.Store { return objstore.NewMem(nil) })
}

func TestLocalContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) objstore.Store {
		l, err := objstore.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	})
}
