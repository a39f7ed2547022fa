package engine

import (
	"errors"
	"strconv"
	"testing"
)

func TestCheckScrollLimit(t *testing.T) {
	for _, n := range []int{0, -1} {
		err := CheckScrollLimit(n)
		if !errors.Is(err, ErrInvalid) || err.Error() != "Validation error: limit: value "+strconv.Itoa(n)+" invalid, must be 1 or more" {
			t.Fatalf("limit %d: %v", n, err)
		}
	}
	if err := CheckScrollLimit(1); err != nil {
		t.Fatal(err)
	}
}
