package version

import "strings"

// parsePEP440Specifiers parses a PEP 440 specifier set: specifiers joined
// by commas, all of which must hold. It follows pypa/packaging's Specifier,
// except that pre-releases are never excluded wholesale (see
// ParseConstraint).
func parsePEP440Specifiers(s string) (func(Version) bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, constraintError("empty specifier set")
	}
	var preds []predicate
	for _, spec := range strings.Split(s, ",") {
		p, err := parsePEP440Specifier(strings.TrimSpace(spec))
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	all := allOf(preds)
	return func(v Version) bool { return all(v) }, nil
}

func pep440Ops() []string { return []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"} }

func parsePEP440Specifier(spec string) (predicate, error) {
	op, rest := splitOperator(spec, pep440Ops())
	if op == "" {
		return nil, constraintError("specifier %q has no operator", spec)
	}
	if op == "===" {
		// Arbitrary equality compares strings, case-insensitively.
		return func(v Version) bool { return strings.EqualFold(v.String(), rest) }, nil
	}
	if strings.HasSuffix(rest, ".*") {
		if op != "==" && op != "!=" {
			return nil, constraintError("specifier %q: a wildcard needs == or !=", spec)
		}
		prefix, err := parsePEP440(rest[:len(rest)-2])
		if err != nil {
			return nil, err
		}
		if prefix.legacy != nil || prefix.hasDev || prefix.local != nil {
			return nil, constraintError("specifier %q: bad wildcard prefix", spec)
		}
		match := func(v Version) bool { return pep440PrefixMatch(v.(pep440Version), prefix) }
		if op == "!=" {
			return func(v Version) bool { return !match(v) }, nil
		}
		return match, nil
	}
	bound, err := parsePEP440(rest)
	if err != nil {
		return nil, err
	}
	if bound.legacy != nil {
		return nil, constraintError("specifier %q: %q is not a PEP 440 version", spec, rest)
	}
	if bound.local != nil && op != "==" && op != "!=" {
		return nil, constraintError("specifier %q: local versions only with == and !=", spec)
	}
	switch op {
	case "==", "!=":
		eq := func(v Version) bool {
			w := v.(pep440Version)
			if bound.local == nil {
				w.local = nil
			}
			return w.compare(bound) == 0
		}
		if op == "!=" {
			return func(v Version) bool { return !eq(v) }, nil
		}
		return eq, nil
	case "<=":
		return func(v Version) bool { return public(v).compare(bound) <= 0 }, nil
	case ">=":
		return func(v Version) bool { return public(v).compare(bound) >= 0 }, nil
	case "<":
		return func(v Version) bool {
			w := v.(pep440Version)
			if w.compare(bound) >= 0 {
				return false
			}
			// <V excludes pre-releases of V itself unless V is one.
			return bound.isPrerelease() || !w.isPrerelease() || base(w).compare(base(bound)) != 0
		}, nil
	case ">":
		return func(v Version) bool {
			w := v.(pep440Version)
			if w.compare(bound) <= 0 {
				return false
			}
			// >V excludes post-releases and local versions of V.
			if !bound.isPostrelease() && w.isPostrelease() && base(w).compare(base(bound)) == 0 {
				return false
			}
			return w.local == nil || base(w).compare(base(bound)) != 0
		}, nil
	case "~=":
		release := strings.Split(bound.release, ".")
		if len(release) < 2 {
			return nil, constraintError("specifier %q: ~= needs at least two release components", spec)
		}
		prefix := pep440Version{epoch: bound.epoch, release: strings.Join(release[:len(release)-1], ".")}
		return func(v Version) bool {
			return public(v).compare(bound) >= 0 && pep440PrefixMatch(v.(pep440Version), prefix)
		}, nil
	}
	return nil, constraintError("specifier %q: unknown operator", spec)
}

// public drops the local label.
func public(v Version) pep440Version {
	w := v.(pep440Version)
	w.local = nil
	return w
}

// base is packaging's base_version: epoch and release only.
func base(v pep440Version) pep440Version {
	return pep440Version{epoch: v.epoch, release: v.release}
}

// pep440PrefixMatch is "== prefix.*": v's public version, release padded
// with zeros, starts with the prefix's components (epoch, release, then a
// pre- or post-release when the prefix has one).
func pep440PrefixMatch(v, prefix pep440Version) bool {
	if v.legacy != nil || cmpDigits(v.epoch, prefix.epoch) != 0 {
		return false
	}
	vr, pr := v.release, prefix.release
	for more := pr != ""; more; {
		var fv, fp string
		fp, pr, more = nextField(pr)
		if vr != "" {
			fv, vr, _ = nextField(vr)
		}
		if cmpDigits(fv, fp) != 0 {
			return false
		}
	}
	if prefix.pre != pepPreNone {
		if vr != "" && strings.Trim(vr, "0.") != "" {
			return false
		}
		if v.pre != prefix.pre || cmpDigits(v.preN, prefix.preN) != 0 {
			return false
		}
	}
	if prefix.hasPost {
		if vr != "" && strings.Trim(vr, "0.") != "" {
			return false
		}
		if !v.hasPost || cmpDigits(v.postN, prefix.postN) != 0 {
			return false
		}
	}
	return true
}
