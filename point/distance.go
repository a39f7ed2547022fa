package point

import (
	"errors"
	"fmt"
)

// ErrBadDistance reports an unknown distance name.
var ErrBadDistance = errors.New("unknown distance")

// Distance is how a collection compares vectors. Its JSON form is Qdrant's
// name: "Cosine", "Euclid", "Dot" or "Manhattan".
type Distance uint8

// The distances Cairn supports. Cosine collections store unit vectors and
// score them with the dot product.
const (
	Cosine Distance = iota + 1
	Euclid
	Dot
	Manhattan
)

var distanceNames = map[Distance]string{Cosine: "Cosine", Euclid: "Euclid", Dot: "Dot", Manhattan: "Manhattan"}

// String returns Qdrant's name for d.
func (d Distance) String() string {
	if s, ok := distanceNames[d]; ok {
		return s
	}
	return fmt.Sprintf("Distance(%d)", uint8(d))
}

// ParseDistance returns the distance with Qdrant's name s.
func ParseDistance(s string) (Distance, error) {
	for d, n := range distanceNames {
		if n == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w %q: expected one of Cosine, Euclid, Dot, Manhattan", ErrBadDistance, s)
}

// HigherIsBetter reports whether a larger score is a closer match (Cosine and
// Dot similarities) rather than a smaller one (Euclid and Manhattan distances).
func (d Distance) HigherIsBetter() bool { return d == Cosine || d == Dot }

// MarshalText writes Qdrant's name.
func (d Distance) MarshalText() ([]byte, error) {
	if _, ok := distanceNames[d]; !ok {
		return nil, fmt.Errorf("%w %d", ErrBadDistance, uint8(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads Qdrant's name.
func (d *Distance) UnmarshalText(b []byte) error {
	v, err := ParseDistance(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
