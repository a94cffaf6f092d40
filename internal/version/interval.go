package version

import "strings"

// parseIntervals parses Maven/NuGet interval notation: one or more of
// "[a,b]", "[a,b)", "(a,b]", "(a,b)", with either end open when empty, and
// "[a]" for exactly a, joined by commas. A bare version means exactly that
// version for Maven (where it is only a recommendation, useless as a
// constraint) and "at least" for NuGet.
func parseIntervals(scheme Scheme, s string, bareMeansMinimum bool) (func(Version) bool, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, constraintError("empty range")
	}
	if t[0] != '[' && t[0] != '(' {
		bound, err := scheme.Parse(t)
		if err != nil {
			return nil, err
		}
		op := "="
		if bareMeansMinimum {
			op = ">="
		}
		p, err := compareOp(op, bound)
		if err != nil {
			return nil, err
		}
		return func(v Version) bool { return p(v) }, nil
	}
	var alts []predicate
	for t != "" {
		end := strings.IndexAny(t, ")]")
		if end < 0 {
			return nil, constraintError("unclosed interval in %q", s)
		}
		p, err := parseInterval(scheme, t[:end+1])
		if err != nil {
			return nil, err
		}
		alts = append(alts, p)
		t = strings.TrimSpace(t[end+1:])
		if t == "" {
			break
		}
		if t[0] != ',' {
			return nil, constraintError("expected ',' between intervals in %q", s)
		}
		t = strings.TrimSpace(t[1:])
		if t == "" {
			return nil, constraintError("trailing ',' in %q", s)
		}
	}
	any := anyOf(alts)
	return func(v Version) bool { return any(v) }, nil
}

func parseInterval(scheme Scheme, iv string) (predicate, error) {
	lo, hi := iv[0], iv[len(iv)-1]
	if lo != '[' && lo != '(' {
		return nil, constraintError("interval %q must start with '[' or '('", iv)
	}
	body := iv[1 : len(iv)-1]
	if strings.ContainsAny(body, "[]()") {
		return nil, constraintError("nested brackets in %q", iv)
	}
	left, right, two := strings.Cut(body, ",")
	left, right = strings.TrimSpace(left), strings.TrimSpace(right)
	if !two {
		if lo != '[' || hi != ']' || left == "" {
			return nil, constraintError("single-version interval %q must be [v]", iv)
		}
		bound, err := scheme.Parse(left)
		if err != nil {
			return nil, err
		}
		return compareOp("=", bound)
	}
	var preds []predicate
	if left != "" {
		bound, err := scheme.Parse(left)
		if err != nil {
			return nil, err
		}
		op := ">"
		if lo == '[' {
			op = ">="
		}
		p, _ := compareOp(op, bound)
		preds = append(preds, p)
	}
	if right != "" {
		bound, err := scheme.Parse(right)
		if err != nil {
			return nil, err
		}
		op := "<"
		if hi == ']' {
			op = "<="
		}
		p, _ := compareOp(op, bound)
		preds = append(preds, p)
	}
	if left != "" && right != "" {
		a, _ := scheme.Parse(left)
		b, _ := scheme.Parse(right)
		if a.Compare(b) > 0 {
			return nil, constraintError("interval %q: lower bound above upper bound", iv)
		}
	}
	return allOf(preds), nil
}
