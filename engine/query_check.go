package engine

import "fmt"

// checkQueryTree applies Qdrant's checks of one query level to q and each
// of its prefetches, before any work: prefetches and a score_threshold
// need a query, an order_by query takes no score_threshold, a fusion no
// using; and (top level) the vectors a with_vector selector names must
// exist.
func (c *Collection) checkQueryTree(q *QueryRequest, top bool) error {
	if err := checkQueryLevel(q); err != nil {
		return err
	}
	if top && q.WithVector != nil {
		if err := c.checkVectorNames(q.WithVector.Names); err != nil {
			return err
		}
	}
	for i := range q.Prefetch {
		if err := c.checkQueryTree(&q.Prefetch[i], false); err != nil {
			return fmt.Errorf("prefetch[%d]: %w", i, err)
		}
	}
	return nil
}

// checkQueryLevel is Qdrant's validation of one level (root or prefetch),
// with its messages and in its order.
func checkQueryLevel(q *QueryRequest) error {
	if len(q.Prefetch) > 0 && q.Query == nil {
		return errBadRequestText("Bad request: A query is needed to merge the prefetches. Can't have prefetches without defining a query.")
	}
	if q.ScoreThreshold != nil {
		switch {
		case q.Query == nil:
			return errBadRequestText("Bad request: A query is needed to use the score_threshold. Can't have score_threshold without defining a query.")
		case q.Query.Kind == QueryOrderBy:
			return errBadRequestText("Bad request: Can't use score_threshold with an order_by query.")
		}
	}
	if q.Query != nil {
		if err := checkQueryExpr(q.Query); err != nil {
			return err
		}
	}
	if q.Query != nil && q.Query.RRF.K != nil && *q.Query.RRF.K < 1 {
		return errInvalid("k", "value %d invalid, must be 1 or more", *q.Query.RRF.K)
	}
	if q.Query != nil && q.Query.Kind == QueryFusion && q.Using != "" {
		return errBadRequestText("Bad request: Fusion queries cannot be combined with the 'using' field.")
	}
	return nil
}

// checkVectorNames refuses a with_vector selector naming a vector the
// collection does not have, with Qdrant's message.
func (c *Collection) checkVectorNames(names []string) error {
	vecs := c.Config().Params.Vectors
	for _, n := range names {
		if _, found := vecs[n]; !found {
			return errBadRequest("Not existing vector name error: %s", vectorLabel(n))
		}
	}
	return nil
}

// checkQueryExpr refuses an expression a transport built incompletely:
// an order_by without a key, a sample other than random, a formula
// without an expression or with a node missing its operands.
func checkQueryExpr(e *QueryExpr) error {
	switch e.Kind {
	case QueryOrderBy:
		if e.OrderBy == nil || e.OrderBy.Key == "" {
			return errBadRequestText("Bad request: order_by needs a key")
		}
	case QuerySample:
		if e.Sample != SampleRandom {
			return errBadRequestText("Bad request: sample: unknown variant `%s`, expected `random`", e.Sample)
		}
	case QueryFormula:
		if e.Formula == nil || e.Formula.Expr == nil {
			return errBadRequestText("Bad request: formula needs an expression")
		}
		return checkFormulaExpr(e.Formula.Expr)
	}
	return nil
}

// checkFormulaExpr checks that every node of a formula has its operands.
func checkFormulaExpr(e *Expr) error {
	want := -1 // any number
	switch e.Op {
	case opConst, opScore, opPayload, opGeoDistance, opDatetime, opDatetimeKey:
		want = 0
	case opCondition:
		if e.Cond == nil {
			return errBadRequestText("Bad request: formula condition without a filter")
		}
		want = 0
	case opNeg, opAbs, opSqrt, opExp, opLog10, opLn:
		want = 1
	case opDiv, opPow:
		want = 2
	case opLinDecay, opExpDecay, opGaussDecay:
		if len(e.Args) < 1 || len(e.Args) > 2 {
			return errBadRequestText("Bad request: formula decay needs x and at most a target")
		}
	case opSum, opMult:
	default:
		return errBadRequestText("Bad request: unknown formula expression kind %d", e.Op)
	}
	if want >= 0 && len(e.Args) != want {
		return errBadRequestText("Bad request: formula expression kind %d needs %d operands, has %d", e.Op, want, len(e.Args))
	}
	for _, a := range e.Args {
		if a == nil {
			return errBadRequestText("Bad request: formula operand missing")
		}
		if err := checkFormulaExpr(a); err != nil {
			return err
		}
	}
	return nil
}
