package payload

import (
	"encoding/json"
	"fmt"
	"math"
)

// earthRadius is the mean Earth radius in metres used by Qdrant's
// haversine distance.
const earthRadius = 6371008.8

// haversine returns the great-circle distance in metres.
func haversine(a, b GeoPoint) float64 {
	lat1, lat2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dLat := lat2 - lat1
	dLon := (b.Lon - a.Lon) * math.Pi / 180
	s := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(s)))
}

func (g *GeoRadius) contains(p GeoPoint) bool { return haversine(g.Center, p) < g.Radius }

func (g *GeoBoundingBox) contains(p GeoPoint) bool {
	var lonOK bool
	if g.TopLeft.Lon > g.BottomRight.Lon {
		lonOK = p.Lon > g.TopLeft.Lon || p.Lon < g.BottomRight.Lon
	} else {
		lonOK = g.TopLeft.Lon < p.Lon && p.Lon < g.BottomRight.Lon
	}
	return lonOK && g.BottomRight.Lat < p.Lat && p.Lat < g.TopLeft.Lat
}

func (g *GeoPolygon) contains(p GeoPoint) bool {
	if !inRing(g.Exterior, p) {
		return false
	}
	for _, r := range g.Interiors {
		if inRing(r, p) {
			return false
		}
	}
	return true
}

// inRing is the even-odd ray-casting test in the lon/lat plane.
func inRing(ring []GeoPoint, p GeoPoint) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) &&
			p.Lon < (b.Lon-a.Lon)*(p.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lon {
			in = !in
		}
	}
	return in
}

// geoValue reads a stored {"lat": .., "lon": ..} object as Qdrant does
// (extra fields are ignored; both coordinates must be numbers).
func geoValue(v any) (GeoPoint, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return GeoPoint{}, false
	}
	lat, ok1 := obj["lat"].(json.Number)
	lon, ok2 := obj["lon"].(json.Number)
	if !ok1 || !ok2 {
		return GeoPoint{}, false
	}
	a, b := parseNum(lat), parseNum(lon)
	if a.kind == numBad || b.kind == numBad {
		return GeoPoint{}, false
	}
	return GeoPoint{Lat: a.f, Lon: b.f}, true
}

func parseGeoPoint(raw json.RawMessage, path string) (GeoPoint, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return GeoPoint{}, err
	}
	if err := o.only("lat", "lon"); err != nil {
		return GeoPoint{}, err
	}
	lat, err := o.float("lat")
	if err != nil {
		return GeoPoint{}, err
	}
	lon, err := o.float("lon")
	if err != nil {
		return GeoPoint{}, err
	}
	if lat < -90 || lat > 90 {
		return GeoPoint{}, fmt.Errorf("%s: latitude must be within [-90, 90]", o.sub("lat"))
	}
	if lon < -180 || lon > 180 {
		return GeoPoint{}, fmt.Errorf("%s: longitude must be within [-180, 180]", o.sub("lon"))
	}
	return GeoPoint{Lat: lat, Lon: lon}, nil
}

func parseRadius(raw json.RawMessage, path string) (*GeoRadius, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	if err := o.only("center", "radius"); err != nil {
		return nil, err
	}
	if !o.has("center") {
		return nil, fmt.Errorf("%s: missing", o.sub("center"))
	}
	c, err := parseGeoPoint(o.fields["center"], o.sub("center"))
	if err != nil {
		return nil, err
	}
	r, err := o.float("radius")
	if err != nil {
		return nil, err
	}
	return &GeoRadius{Center: c, Radius: r}, nil
}

func parseBBox(raw json.RawMessage, path string) (*GeoBoundingBox, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	if err := o.only("top_left", "bottom_right"); err != nil {
		return nil, err
	}
	var g GeoBoundingBox
	for _, f := range []struct {
		k   string
		dst *GeoPoint
	}{{"top_left", &g.TopLeft}, {"bottom_right", &g.BottomRight}} {
		if !o.has(f.k) {
			return nil, fmt.Errorf("%s: missing", o.sub(f.k))
		}
		if *f.dst, err = parseGeoPoint(o.fields[f.k], o.sub(f.k)); err != nil {
			return nil, err
		}
	}
	return &g, nil
}

func parsePolygon(raw json.RawMessage, path string) (*GeoPolygon, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	if err := o.only("exterior", "interiors"); err != nil {
		return nil, err
	}
	if !o.has("exterior") {
		return nil, fmt.Errorf("%s: missing", o.sub("exterior"))
	}
	g := &GeoPolygon{}
	if g.Exterior, err = parseLine(o.fields["exterior"], o.sub("exterior")); err != nil {
		return nil, err
	}
	if o.has("interiors") {
		elems, err := array(o.fields["interiors"], o.sub("interiors"))
		if err != nil {
			return nil, err
		}
		for i, e := range elems {
			r, err := parseLine(e, fmt.Sprintf("%s[%d]", o.sub("interiors"), i))
			if err != nil {
				return nil, err
			}
			g.Interiors = append(g.Interiors, r)
		}
	}
	return g, nil
}

// parseLine reads a closed ring: at least 4 points, first equal to last.
func parseLine(raw json.RawMessage, path string) ([]GeoPoint, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	if err := o.only("points"); err != nil {
		return nil, err
	}
	if !o.has("points") {
		return nil, fmt.Errorf("%s: missing", o.sub("points"))
	}
	elems, err := array(o.fields["points"], o.sub("points"))
	if err != nil {
		return nil, err
	}
	pts := make([]GeoPoint, 0, len(elems))
	for i, e := range elems {
		p, err := parseGeoPoint(e, fmt.Sprintf("%s[%d]", o.sub("points"), i))
		if err != nil {
			return nil, err
		}
		pts = append(pts, p)
	}
	if len(pts) < 4 || pts[0] != pts[len(pts)-1] {
		return nil, fmt.Errorf("%s: a ring needs at least 4 points, the first equal to the last", o.sub("points"))
	}
	return pts, nil
}

// Haversine returns the great-circle distance in metres between a and b
// on Qdrant's sphere (the distance geo_radius compares).
func Haversine(a, b GeoPoint) float64 { return haversine(a, b) }
