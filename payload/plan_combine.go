package payload

// ans is the planned answer of one node: sure ⊆ cand; offsets outside
// cand never match. nil sets are empty; candAll means every offset is a
// candidate. exp is the expected number of matches.
type ans struct {
	sure    bitset
	cand    bitset
	candAll bool
	exp     float64
}

type planner struct {
	src Source
	n   int
}

func (p *planner) unknown() ans { return ans{candAll: true, exp: float64(p.n) / 2} }

func (p *planner) exact(s bitset) ans { return ans{sure: s, cand: s, exp: float64(s.count())} }

func (p *planner) filter(f *Filter, prefix string) ans {
	var parts []ans
	for i := range f.Must {
		parts = append(parts, p.cond(&f.Must[i]))
	}
	if f.Should != nil {
		var or []ans
		for i := range f.Should {
			or = append(or, p.cond(&f.Should[i]))
		}
		parts = append(parts, p.or(or))
	}
	if ms := f.MinShould; ms != nil {
		var cs []ans
		for i := range ms.Conditions {
			cs = append(cs, p.cond(&ms.Conditions[i]))
		}
		parts = append(parts, p.minShould(cs, ms.MinCount))
	}
	for i := range f.MustNot {
		parts = append(parts, p.not(p.cond(&f.MustNot[i])))
	}
	return p.and(parts)
}

func (p *planner) cond(c *Condition) ans {
	switch {
	case c.Field != nil:
		ix := p.src.Index(c.Field.Key)
		if ix == nil || ix.n != p.n {
			return p.unknown()
		}
		sure, maybe, ok := ix.query(c.Field)
		if !ok {
			return p.unknown()
		}
		a := p.exact(sure)
		if maybe != nil {
			a.cand = maybe.or(sure)
			a.exp += float64(a.cand.count()-int(a.exp)) / 2
		}
		return a
	case c.IsEmpty != nil:
		if ix := p.src.Index(*c.IsEmpty); ix != nil && ix.n == p.n {
			return p.exact(fullBitset(p.n).andNot(newBitset(p.n).setAll(ix.present)))
		}
	case c.IsNull != nil:
		if ix := p.src.Index(*c.IsNull); ix != nil && ix.n == p.n {
			return p.exact(newBitset(p.n).setAll(ix.null))
		}
	case c.HasID != nil:
		s := newBitset(p.n)
		for _, id := range c.HasID.IDs {
			if off, ok := p.src.Lookup(id); ok && int(off) < p.n {
				s.set(off)
			}
		}
		return p.exact(s)
	case c.HasVector != nil:
		s := newBitset(p.n)
		if vs, ok := p.src.(VectorSource); ok {
			for off := 0; off < p.n; off++ {
				if vs.HasVector(*c.HasVector, uint32(off)) {
					s.set(uint32(off))
				}
			}
		}
		return p.exact(s)
	case c.Slice != nil:
		s := newBitset(p.n)
		for off := 0; off < p.n; off++ {
			if c.Slice.contains(p.src.ID(uint32(off))) {
				s.set(uint32(off))
			}
		}
		return p.exact(s)
	case c.Filter != nil:
		return p.filter(c.Filter, "")
	}
	return p.unknown()
}

// candSet materializes a node's candidates.
func (p *planner) candSet(a ans) bitset {
	if a.candAll {
		return fullBitset(p.n)
	}
	if a.cand == nil {
		return newBitset(p.n)
	}
	return a.cand.clone()
}

func (p *planner) sureSet(a ans) bitset {
	if a.sure == nil {
		return newBitset(p.n)
	}
	return a.sure.clone()
}

func (p *planner) and(parts []ans) ans {
	if len(parts) == 0 {
		all := fullBitset(p.n)
		return ans{sure: all, cand: all, exp: float64(p.n)}
	}
	out := ans{sure: p.sureSet(parts[0]), exp: float64(p.n), candAll: true}
	for _, a := range parts {
		if a.sure == nil {
			out.sure = newBitset(p.n)
		} else {
			out.sure.and(a.sure)
		}
		if !a.candAll {
			if out.candAll {
				out.cand, out.candAll = p.candSet(a), false
			} else {
				out.cand.and(p.candSet(a))
			}
		}
		out.exp *= frac(a.exp, p.n)
	}
	return out
}

func (p *planner) or(parts []ans) ans {
	out := ans{sure: newBitset(p.n), cand: newBitset(p.n)}
	none := 1.0
	for _, a := range parts {
		if a.sure != nil {
			out.sure.or(a.sure)
		}
		if a.candAll {
			out.candAll = true
		} else if a.cand != nil {
			out.cand.or(a.cand)
		}
		none *= 1 - frac(a.exp, p.n)
	}
	if out.candAll {
		out.cand = nil
	}
	out.exp = float64(p.n) * (1 - none)
	return out
}

func (p *planner) not(a ans) ans {
	if a.candAll {
		return ans{sure: nil, candAll: true, exp: float64(p.n) - a.exp}
	}
	sure := fullBitset(p.n).andNot(p.candSet(a))
	cand := fullBitset(p.n)
	if a.sure != nil {
		cand.andNot(a.sure)
	}
	return ans{sure: sure, cand: cand, exp: float64(p.n) - a.exp}
}

// minShould counts, per offset, the conditions surely and possibly met.
func (p *planner) minShould(parts []ans, k int) ans {
	sureCnt := make([]uint32, p.n)
	candCnt := make([]uint32, p.n)
	probs := make([]float64, 0, len(parts))
	for _, a := range parts {
		if a.sure != nil {
			for _, o := range a.sure.list() {
				sureCnt[o]++
			}
		}
		if a.candAll {
			for i := range candCnt {
				candCnt[i]++
			}
		} else if a.cand != nil {
			for _, o := range a.cand.list() {
				candCnt[o]++
			}
		}
		probs = append(probs, frac(a.exp, p.n))
	}
	out := ans{sure: newBitset(p.n), cand: newBitset(p.n)}
	for i := 0; i < p.n; i++ {
		if int(sureCnt[i]) >= k {
			out.sure.set(uint32(i))
		}
		if int(candCnt[i]) >= k {
			out.cand.set(uint32(i))
		}
	}
	out.exp = float64(p.n) * atLeast(probs, k)
	return out
}

func frac(x float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return min(max(x/float64(n), 0), 1)
}

// atLeast is the probability that at least k of independent events with
// the given probabilities happen.
func atLeast(probs []float64, k int) float64 {
	if k > len(probs) {
		return 0
	}
	dp := make([]float64, k+1) // dp[j]: P(exactly j so far), dp[k]: P(>= k)
	dp[0] = 1
	for _, q := range probs {
		for j := k; j >= 0; j-- {
			stay := dp[j] * (1 - q)
			if j == k {
				stay = dp[j]
			}
			if j > 0 {
				dp[j] = stay + dp[j-1]*q
			} else {
				dp[j] = stay
			}
		}
	}
	return dp[k]
}
