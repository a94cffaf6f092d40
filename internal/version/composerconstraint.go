package version

import "strings"

// parseComposerConstraint parses Composer constraints: "||" (or "|")
// between alternatives, ',' or blanks between comparators, hyphen ranges
// "A - B", wildcards "1.2.*", caret "^1.2", tilde "~1.2", the operators
// =, ==, !=, <>, <, <=, >, >=, and stability flags ("@dev"), which are
// ignored. Bounds and candidates are compared on Composer's normalized form,
// in which "1.2" is "1.2.0.0"; ranges built from ^, ~, * and hyphens start
// at the bound's "-dev" (so its pre-releases are in) and stop below the
// next version's "-dev", as Composer builds them.
func parseComposerConstraint(s string) (func(Version) bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, constraintError("empty constraint")
	}
	text := strings.ReplaceAll(s, "||", "|")
	var alts []predicate
	for _, alt := range strings.Split(text, "|") {
		fields := strings.FieldsFunc(alt, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
		var preds []predicate
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			if i+2 < len(fields) && fields[i+1] == "-" {
				p, err := composerHyphen(f, fields[i+2])
				if err != nil {
					return nil, err
				}
				preds = append(preds, p)
				i += 2
				continue
			}
			op, rest := splitOperator(f, []string{"<=", ">=", "==", "!=", "<>", "<", ">", "=", "^", "~"})
			if op != "" && rest == "" {
				if i+1 >= len(fields) {
					return nil, constraintError("operator %q without a version", op)
				}
				i++
				rest = fields[i]
			}
			p, err := composerComparator(op, rest)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
		if len(preds) == 0 {
			return nil, constraintError("empty alternative in %q", s)
		}
		alts = append(alts, allOf(preds))
	}
	any := anyOf(alts)
	return func(v Version) bool { return any(v) }, nil
}

// composerParts splits a constraint operand into its numeric components
// (at most four) and the rest, after stripping "v" and a stability flag.
func composerParts(s string) (nums []string, rest string, wild bool, err error) {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	for s != "" {
		if s[0] == '*' || s[0] == 'x' || s[0] == 'X' {
			wild = true
			s = s[1:]
			break
		}
		n := spanDigits(s)
		if n == 0 {
			break
		}
		nums = append(nums, s[:n])
		s = s[n:]
		if len(nums) == 4 || s == "" || s[0] != '.' {
			break
		}
		s = s[1:]
	}
	if len(nums) == 0 && !wild {
		return nil, "", false, constraintError("%q is not a version", s)
	}
	if wild && s != "" {
		return nil, "", false, constraintError("text after a wildcard in %q", s)
	}
	return nums, s, wild, nil
}

// composerVersionOf builds a normalized version from components.
func composerVersionOf(nums []string, rest string) composerVersion {
	padded := make([]string, 4)
	for i := range padded {
		padded[i] = "0"
		if i < len(nums) {
			padded[i] = nums[i]
		}
	}
	v := strings.Join(padded, ".")
	if rest != "" {
		if rest[0] != '-' && rest[0] != '.' && rest[0] != '_' && rest[0] != '+' {
			rest = "-" + rest
		}
		v += rest
	}
	cv, _ := parseComposer(v)
	return cv
}

// composerNormalized re-parses a candidate in normalized form.
func composerNormalized(v Version) composerVersion {
	cv := v.(composerVersion)
	nums, rest, wild, err := composerParts(strings.TrimSpace(cv.orig))
	if err != nil || wild {
		return cv
	}
	return composerVersionOf(nums, rest)
}

// composerBump increments component i and drops the rest, giving the
// "-dev" bound just below that version.
func composerBump(nums []string, i int) composerVersion {
	out := make([]string, i+1)
	copy(out, nums[:i+1])
	out[i] = incDigits(out[i])
	return composerVersionOf(out, "-dev")
}

func composerBetween(lo, hi composerVersion) predicate {
	return func(v Version) bool {
		n := composerNormalized(v)
		return cmpPHPParts(n.parts, lo.parts) >= 0 && cmpPHPParts(n.parts, hi.parts) < 0
	}
}

func composerComparator(op, operand string) (predicate, error) {
	if operand == "*" || operand == "x" || operand == "X" {
		if op == "" || op == "=" || op == "==" || op == ">=" {
			return func(Version) bool { return true }, nil
		}
	}
	nums, rest, wild, err := composerParts(operand)
	if err != nil {
		return nil, err
	}
	switch {
	case wild:
		if op != "" && op != "=" && op != "==" {
			return nil, constraintError("wildcard %q with operator %q", operand, op)
		}
		if len(nums) == 0 {
			return func(Version) bool { return true }, nil
		}
		return composerBetween(composerVersionOf(nums, "-dev"), composerBump(nums, len(nums)-1)), nil
	case op == "^":
		// The first non-zero component may not change.
		i := 0
		for i < len(nums)-1 && trimZeros(nums[i]) == "" {
			i++
		}
		return composerBetween(composerLow(nums, rest), composerBump(nums, i)), nil
	case op == "~":
		i := len(nums) - 2
		if i < 0 {
			i = 0
		}
		return composerBetween(composerLow(nums, rest), composerBump(nums, i)), nil
	}
	bound := composerVersionOf(nums, rest)
	var ok func(int) bool
	switch op {
	case "", "=", "==":
		ok = func(c int) bool { return c == 0 }
	case "!=", "<>":
		ok = func(c int) bool { return c != 0 }
	case "<":
		ok = func(c int) bool { return c < 0 }
	case "<=":
		ok = func(c int) bool { return c <= 0 }
	case ">":
		ok = func(c int) bool { return c > 0 }
	case ">=":
		ok = func(c int) bool { return c >= 0 }
	default:
		return nil, constraintError("unknown operator %q", op)
	}
	return func(v Version) bool { return ok(cmpPHPParts(composerNormalized(v).parts, bound.parts)) }, nil
}

// composerHyphen is "lo - hi": from lo; up to hi inclusive when hi is
// complete, below the next version after the given components otherwise.
func composerHyphen(lo, hi string) (predicate, error) {
	ln, lrest, lwild, err := composerParts(lo)
	if err != nil || lwild {
		return nil, constraintError("bad lower bound %q", lo)
	}
	hn, hrest, hwild, err := composerParts(hi)
	if err != nil || hwild {
		return nil, constraintError("bad upper bound %q", hi)
	}
	low := composerLow(ln, lrest)
	if len(hn) >= 4 || hrest != "" || len(hn) == 3 {
		up := composerVersionOf(hn, hrest)
		return func(v Version) bool {
			n := composerNormalized(v)
			return cmpPHPParts(n.parts, low.parts) >= 0 && cmpPHPParts(n.parts, up.parts) <= 0
		}, nil
	}
	return composerBetween(low, composerBump(hn, len(hn)-1)), nil
}

// composerLow is the lower bound of a range built from a version: its
// "-dev" when it has no stability suffix of its own, so that its
// pre-releases are in.
func composerLow(nums []string, rest string) composerVersion {
	if rest == "" {
		rest = "-dev"
	}
	return composerVersionOf(nums, rest)
}
