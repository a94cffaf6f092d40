package version

import "strings"

// rangeOptions select the dialect of the SemVer range grammar.
type rangeOptions struct {
	// npm applies node-semver's pre-release rule.
	npm bool
	// caretDefault reads a bare version as ^version (Cargo).
	caretDefault bool
}

// partial is a possibly incomplete version in a range: "1", "1.2.x", "*".
type partial struct {
	nums  [3]string // digits of major, minor, patch
	n     int       // how many of them are given (wildcards end the count)
	pre   string    // pre-release with its '-', or ""
	build string
}

// parsePartial reads an npm partial version; x, X and * are wildcards.
func parsePartial(s string) (partial, error) {
	var p partial
	t := s
	if len(t) > 0 && (t[0] == 'v' || t[0] == 'V' || t[0] == '=') {
		t = t[1:]
	}
	if i := strings.IndexByte(t, '+'); i >= 0 {
		p.build, t = t[i:], t[:i]
	}
	core := t
	if i := strings.IndexByte(t, '-'); i >= 0 {
		core, p.pre = t[:i], t[i:]
		if msg := checkIdentifiers(p.pre[1:]); msg != "" {
			return p, constraintError("%q: pre-release: %s", s, msg)
		}
	}
	if core == "" || core == "*" || core == "x" || core == "X" {
		return p, nil
	}
	fields := strings.Split(core, ".")
	if len(fields) > 3 {
		return p, constraintError("%q: more than three components", s)
	}
	wild := false
	for i, f := range fields {
		switch {
		case f == "x" || f == "X" || f == "*":
			wild = true
		case allDigits(f) && !wild:
			p.nums[i] = f
			p.n = i + 1
		default:
			return p, constraintError("%q: bad component %q", s, f)
		}
	}
	if p.n < 3 && p.pre != "" {
		return p, constraintError("%q: pre-release on a partial version", s)
	}
	return p, nil
}

// version renders the partial with missing components as 0.
func (p partial) version(pre string) string {
	nums := p.nums
	for i := p.n; i < 3; i++ {
		nums[i] = "0"
	}
	return nums[0] + "." + nums[1] + "." + nums[2] + pre
}

// next increments component i of p and zeroes the rest: "1.2.x" next(1)
// is "1.3.0".
func (p partial) next(i int) string {
	nums := p.nums
	for j := p.n; j < 3; j++ {
		nums[j] = "0"
	}
	nums[i] = incDigits(nums[i])
	for j := i + 1; j < 3; j++ {
		nums[j] = "0"
	}
	return nums[0] + "." + nums[1] + "." + nums[2]
}

// bump is next(i) as an exclusive upper bound: "-0" puts it below every
// pre-release of that version, as node-semver does.
func (p partial) bump(i int) string { return p.next(i) + "-0" }

// comparator is one desugared "op version" of a range.
type comparator struct {
	op  string
	v   semverVersion
	any bool
}

func (c comparator) test(v semverVersion) bool {
	if c.any {
		return true
	}
	r := v.compare(c.v)
	switch c.op {
	case "<":
		return r < 0
	case "<=":
		return r <= 0
	case ">":
		return r > 0
	case ">=":
		return r >= 0
	}
	return r == 0
}

type rangeParser struct {
	scheme semverScheme
	opts   rangeOptions
}

func (rp rangeParser) cmp(op, v string) (comparator, error) {
	pv, err := rp.scheme.parse(v)
	if err != nil {
		return comparator{}, err
	}
	return comparator{op: op, v: pv}, nil
}

// desugar turns one operator and partial version into plain comparators.
func (rp rangeParser) desugar(op string, p partial) ([]comparator, error) {
	one := func(o, v string) ([]comparator, error) {
		c, err := rp.cmp(o, v)
		return []comparator{c}, err
	}
	two := func(lo, hi string) ([]comparator, error) {
		a, err := rp.cmp(">=", lo)
		if err != nil {
			return nil, err
		}
		b, err := rp.cmp("<", hi)
		return []comparator{a, b}, err
	}
	if op == "" && rp.opts.caretDefault {
		op = "^"
	}
	switch op {
	case "^":
		switch {
		case p.n == 0:
			return []comparator{{any: true}}, nil
		case p.nums[0] != "0" && trimZeros(p.nums[0]) != "" || p.n == 1:
			return two(p.version(p.pre), p.bump(0))
		case trimZeros(p.nums[1]) != "" || p.n == 2:
			return two(p.version(p.pre), p.bump(1))
		}
		return two(p.version(p.pre), p.bump(2))
	case "~", "~>":
		switch {
		case p.n == 0:
			return []comparator{{any: true}}, nil
		case op == "~>" && p.n >= 2:
			// Pessimistic: drop the last given component, bump the new last.
			return two(p.version(p.pre), p.bump(p.n-2))
		case p.n == 1:
			return two(p.version(p.pre), p.bump(0))
		}
		return two(p.version(p.pre), p.bump(1))
	case "", "=":
		switch p.n {
		case 0:
			return []comparator{{any: true}}, nil
		case 3:
			return one("=", p.version(p.pre))
		}
		return two(p.version(""), p.bump(p.n-1))
	case ">":
		switch p.n {
		case 0:
			// Nothing is above every version.
			return one("<", "0.0.0-0")
		case 3:
			return one(">", p.version(p.pre))
		}
		return one(">=", p.next(p.n-1))
	case ">=":
		if p.n == 0 {
			return []comparator{{any: true}}, nil
		}
		return one(">=", p.version(p.pre))
	case "<":
		switch p.n {
		case 0:
			return one("<", "0.0.0-0")
		case 3:
			return one("<", p.version(p.pre))
		}
		return one("<", p.version("-0"))
	case "<=":
		switch p.n {
		case 0:
			return []comparator{{any: true}}, nil
		case 3:
			return one("<=", p.version(p.pre))
		}
		return one("<", p.bump(p.n-1))
	}
	return nil, constraintError("unknown operator %q", op)
}

// rangeOps are the operators of the SemVer range grammar, longest first.
func rangeOps() []string { return []string{"~>", "<=", ">=", "==", "<", ">", "=", "^", "~"} }

// parseSet parses one comparator set (the text between "||").
func (rp rangeParser) parseSet(s string) ([]comparator, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
	// "and" joins comparators in Hex.
	fields = removeWord(fields, "and")
	var out []comparator
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		// Hyphen range "A - B".
		if i+2 < len(fields) && fields[i+1] == "-" {
			lo, err := parsePartial(f)
			if err != nil {
				return nil, err
			}
			hi, err := parsePartial(fields[i+2])
			if err != nil {
				return nil, err
			}
			a, err := rp.desugar(">=", lo)
			if err != nil {
				return nil, err
			}
			b, err := rp.desugar("<=", hi)
			if err != nil {
				return nil, err
			}
			out = append(out, a...)
			out = append(out, b...)
			i += 2
			continue
		}
		op, rest := splitOperator(f, rangeOps())
		if op == "==" {
			op = "="
		}
		if op != "" && rest == "" {
			if i+1 >= len(fields) {
				return nil, constraintError("operator %q without a version", op)
			}
			i++
			rest = fields[i]
		}
		p, err := parsePartial(rest)
		if err != nil {
			return nil, err
		}
		cs, err := rp.desugar(op, p)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	if len(out) == 0 {
		out = []comparator{{any: true}}
	}
	return out, nil
}

func removeWord(fields []string, w string) []string {
	out := fields[:0]
	for _, f := range fields {
		if !strings.EqualFold(f, w) {
			out = append(out, f)
		}
	}
	return out
}

// testSet applies a comparator set, with node-semver's pre-release rule when
// asked for.
func (rp rangeParser) testSet(set []comparator, v semverVersion) bool {
	for _, c := range set {
		if !c.test(v) {
			return false
		}
	}
	if !rp.opts.npm || !v.hasPre {
		return true
	}
	for _, c := range set {
		if !c.any && c.v.hasPre && cmpDottedNumbers(c.v.nums, v.nums) == 0 {
			return true
		}
	}
	return false
}

func parseSemverRange(scheme semverScheme, s string, opts rangeOptions) (func(Version) bool, error) {
	rp := rangeParser{scheme: scheme, opts: opts}
	text := strings.ReplaceAll(s, " or ", " || ")
	var sets [][]comparator
	for _, alt := range strings.Split(text, "||") {
		set, err := rp.parseSet(alt)
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	return func(v Version) bool {
		sv := v.(semverVersion)
		for _, set := range sets {
			if rp.testSet(set, sv) {
				return true
			}
		}
		return false
	}, nil
}
