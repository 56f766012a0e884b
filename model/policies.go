package model

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// policyKinds converts the policy kinds and the Calico objects policies see:
// Kubernetes, Calico and admin network policies, tiers, network sets, host
// endpoints, profiles. The Calico kinds are read under both API groups:
// projectcalico.org/v3 (the API server, calicoctl) and crd.projectcalico.org/v1
// (the CRDs behind it); their specs are the same.
var policyKinds = map[string]converter{
	kindKey("networking.k8s.io/v1", "NetworkPolicy"): convertKubernetesNetworkPolicy,

	kindKey(anpGroupVersion, "AdminNetworkPolicy"):         convertAdminNetworkPolicy,
	kindKey(anpGroupVersion, "BaselineAdminNetworkPolicy"): convertBaselineAdminNetworkPolicy,
}

func init() {
	for _, gv := range []string{"projectcalico.org/v3", "crd.projectcalico.org/v1"} {
		policyKinds[kindKey(gv, "NetworkPolicy")] = convertCalicoNetworkPolicy
		policyKinds[kindKey(gv, "GlobalNetworkPolicy")] = convertGlobalNetworkPolicy
		policyKinds[kindKey(gv, "StagedNetworkPolicy")] = convertStagedNetworkPolicy
		policyKinds[kindKey(gv, "StagedGlobalNetworkPolicy")] = convertStagedGlobalNetworkPolicy
		policyKinds[kindKey(gv, "StagedKubernetesNetworkPolicy")] = convertStagedKubernetesNetworkPolicy
		policyKinds[kindKey(gv, "Tier")] = convertTier
		policyKinds[kindKey(gv, "NetworkSet")] = convertNetworkSet
		policyKinds[kindKey(gv, "GlobalNetworkSet")] = convertGlobalNetworkSet
		policyKinds[kindKey(gv, "HostEndpoint")] = convertHostEndpoint
		policyKinds[kindKey(gv, "Profile")] = convertProfile
	}
}

// Name formats of Calico v3.31 (libcalico-go/lib/validator/v3/validator.go).
var (
	nameLabelFmt     = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	nameSubdomainFmt = nameLabelFmt + `(\.` + nameLabelFmt + ")*"

	// calicoNameRegex is the name format of most Calico resources.
	calicoNameRegex = regexp.MustCompile("^" + nameSubdomainFmt + "$")
	// tierNameRegex: tier names have no dot, as they prefix policy names.
	tierNameRegex = regexp.MustCompile("^" + nameLabelFmt + "$")
	// networkPolicyNameRegex: a label, or tier.label, or a converted
	// Kubernetes (knp.default.) or OpenStack (ossg.default.) name.
	networkPolicyNameRegex = regexp.MustCompile(`^((` + nameLabelFmt + `)(\.` + nameLabelFmt + `)?|((?:knp|ossg)\.default\.(` + nameSubdomainFmt + `)))$`)
	// globalNetworkPolicyNameRegex: a label, or tier.label.
	globalNetworkPolicyNameRegex = regexp.MustCompile(`^(` + nameLabelFmt + `\.)?` + nameLabelFmt + `$`)
)

// Policy name prefixes Calico v3.31 gives converted policies
// (libcalico-go/lib/names/policy.go). A Calico policy whose name carries one
// of them is taken to be in that prefix's tier, as Calico does.
const (
	knpNamePrefix  = "knp.default."
	anpNamePrefix  = "kanp.adminnetworkpolicy."
	banpNamePrefix = "kbanp.baselineadminnetworkpolicy."
	ossgNamePrefix = "ossg.default."
	stagedPrefix   = "staged:"
)

// objectMeta checks the name (and, for a namespaced kind, the namespace) and
// the labels of the object and records them in the document's position, so that every
// later problem names the object. A namespaced object without a namespace is
// in "default", as kubectl would put it. It reports whether the name is set.
func (d *document) objectMeta(m *metav1.ObjectMeta, namespaced bool) (ns, name string, ok bool) {
	name = m.Name
	if namespaced {
		ns = m.Namespace
		if ns == "" {
			ns = d.pos.Namespace
		}
		if ns == "" {
			ns = "default"
		}
	}
	d.pos.Namespace, d.pos.Name = ns, name
	if name == "" {
		d.problem("metadata.name", "required")
		return ns, name, false
	}
	if namespaced {
		for _, msg := range validation.IsDNS1123Label(ns) {
			d.problem("metadata.namespace", "%q: %s", ns, msg)
		}
	}
	d.checkLabels("metadata.labels", m.Labels)
	return ns, name, true
}

// checkName reports a name that does not match re, a Calico name format.
func (d *document) checkName(name string, re *regexp.Regexp, want string) bool {
	if len(name) > validation.DNS1123SubdomainMaxLength {
		d.problem("metadata.name", "name is too long by %d bytes", len(name)-validation.DNS1123SubdomainMaxLength)
		return false
	}
	if !re.MatchString(name) {
		d.problem("metadata.name", "%q: %s", name, want)
		return false
	}
	return true
}

const (
	wantPolicyName = "must be lower-case letters, digits and '-', optionally after a tier name and a dot (regex " + "^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$)"
	wantName       = "must be lower-case letters, digits, '-' and '.' (regex ^" + "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)"
)

// checkLabels reports labels the API server would reject, at field.
func (d *document) checkLabels(field string, labels map[string]string) bool {
	ok := true
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		for _, msg := range validation.IsQualifiedName(k) {
			d.problem(field, "label key %q: %s", k, msg)
			ok = false
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			d.problem(field, "label %s value %q: %s", k, labels[k], msg)
			ok = false
		}
	}
	return ok
}

// fieldErrors records Kubernetes validation errors as problems. It reports
// whether there were none.
func (d *document) fieldErrors(errs field.ErrorList) bool {
	for _, e := range errs {
		d.problem(e.Field, "%s", e.ErrorBody())
	}
	return len(errs) == 0
}

// policyTier finds the tier of a Calico (Staged)(Global)NetworkPolicy and its
// v1 name, the tie-break key without namespace and "staged:" prefix.
//
// Calico v3.31 takes the tier from the name: "<tier>.<name>", and a name
// without a dot is in the default tier ("default.<name>"); spec.tier must
// agree with the name. reach accepts both conventions:
//
//   - a name with a dot gives the tier; spec.tier, when set, must be the
//     same (so a name with a dot in the default tier begins "default.");
//   - a name without a dot is in spec.tier, or in "default" without one, and
//     its key is "<tier>.<name>". (v3.31 rejects such a name outside the
//     default tier; v3.32 made spec.tier the only convention.)
//   - names beginning knp.default., ossg.default., kanp.adminnetworkpolicy.
//     or kbanp.baselineadminnetworkpolicy. are in the tier Calico's
//     TierFromPolicyName gives them.
func (d *document) policyTier(name, specTier string) (tier, v1name string, ok bool) {
	ok = true
	if specTier != "" && !tierNameRegex.MatchString(specTier) {
		d.problem("spec.tier", "%q is not a valid tier name: must be lower-case letters, digits and '-'", specTier)
		ok = false
	}
	var fromName string
	switch {
	case strings.HasPrefix(name, knpNamePrefix), strings.HasPrefix(name, ossgNamePrefix):
		fromName = DefaultTier
	case strings.HasPrefix(name, anpNamePrefix):
		fromName = AdminNetworkPolicyTier
	case strings.HasPrefix(name, banpNamePrefix):
		fromName = BaselineAdminNetworkPolicyTier
	default:
		fromName, _, _ = strings.Cut(name, ".")
		if fromName == name {
			fromName = ""
		}
	}
	switch {
	case fromName == "":
		tier = cmp.Or(specTier, DefaultTier)
		return tier, tier + "." + name, ok
	case specTier != "" && specTier != fromName:
		d.problem("metadata.name", "name %q puts the policy in tier %q but spec.tier is %q: a name with a dot must begin with %q",
			name, fromName, specTier, specTier+".")
		return "", "", false
	}
	return fromName, name, ok
}

// enterpriseFields are the Calico Enterprise fields reach accepts although
// the OSS API structs lack them. prepare removes them from the raw JSON
// before strict decoding.
type enterpriseFields struct {
	// domains holds destination.domains of egress rules, by rule index.
	domains map[int][]string
	// allowedEgressDomains is the network set field of that name.
	allowedEgressDomains []string
}

// prepare reads the raw object, takes out the Enterprise fields, checks the
// rule port values (whose decoding errors carry no position) and writes the
// object back for decoding. Bad port values are reported and replaced, so
// that decoding goes on and reports every other problem too. It reports
// whether the object had no problem.
func (d *document) prepare() (enterpriseFields, bool) {
	var ef enterpriseFields
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(d.raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return ef, true // decode reports it
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return ef, true
	}
	ok := true
	if v, found := spec["allowedEgressDomains"]; found {
		delete(spec, "allowedEgressDomains")
		ef.allowedEgressDomains, ok = d.stringList("spec.allowedEgressDomains", v)
	}
	for _, dir := range []string{"ingress", "egress"} {
		rules, _ := spec[dir].([]any)
		for i, r := range rules {
			rule, _ := r.(map[string]any)
			for _, f := range []string{"protocol", "notProtocol"} {
				if !d.prepareProtocol(fmt.Sprintf("spec.%s[%d].%s", dir, i, f), rule, f) {
					ok = false
				}
			}
			for _, side := range []string{"source", "destination"} {
				e, _ := rule[side].(map[string]any)
				if e == nil {
					continue
				}
				path := fmt.Sprintf("spec.%s[%d].%s", dir, i, side)
				for _, ports := range []string{"ports", "notPorts"} {
					if !d.preparePorts(path+"."+ports, e[ports]) {
						ok = false
					}
				}
				v, found := e["domains"]
				if !found {
					continue
				}
				delete(e, "domains")
				if dir != "egress" || side != "destination" {
					d.problem(path+".domains", "domains (Calico Enterprise) are only allowed in the destination of egress rules")
					ok = false
					continue
				}
				list, good := d.stringList(path+".domains", v)
				ok = ok && good
				if ef.domains == nil {
					ef.domains = map[int][]string{}
				}
				ef.domains[i] = list
			}
		}
	}
	raw, err := json.Marshal(obj)
	if err == nil {
		d.raw = raw
	}
	return ef, ok
}

func (d *document) stringList(field string, v any) ([]string, bool) {
	list, isList := v.([]any)
	if !isList && v != nil {
		d.problem(field, "must be a list of strings")
		return nil, false
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, isString := e.(string)
		if !isString || s == "" {
			d.problem(fmt.Sprintf("%s[%d]", field, i), "must be a non-empty string")
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// prepareProtocol checks that a numeric protocol fits a byte (decoding
// reports no position for it) and replaces a bad one by 1.
func (d *document) prepareProtocol(field string, rule map[string]any, key string) bool {
	n, isNumber := rule[key].(json.Number)
	if !isNumber {
		return true
	}
	if v, err := n.Int64(); err != nil || v < 0 || v > 255 {
		d.problem(field, "protocol number %s invalid: must be from 1 to 255", n)
		rule[key] = json.Number("1")
		return false
	}
	return true
}

// preparePorts checks each entry of a Calico ports or notPorts list and
// replaces a bad one by port 1.
func (d *document) preparePorts(field string, v any) bool {
	list, _ := v.([]any)
	ok := true
	for i, e := range list {
		if _, err := parseCalicoPort(e); err != nil {
			d.problem(fmt.Sprintf("%s[%d]", field, i), "%s", err)
			list[i] = json.Number("1")
			ok = false
		}
	}
	return ok
}

var (
	allDigitsRegex = regexp.MustCompile(`^\d+$`)
	portRangeRegex = regexp.MustCompile(`^(\d+):(\d+)$`)
)

// parseCalicoPort reads one entry of a Calico rule's ports: a number, a
// string "min:max" or a named port (numorstring.PortFromString and the
// validator's port checks).
func parseCalicoPort(v any) (PortMatch, error) {
	switch t := v.(type) {
	case json.Number:
		return parseCalicoPortString(t.String(), true)
	case float64:
		return parseCalicoPortString(fmt.Sprint(t), true)
	case string:
		return parseCalicoPortString(t, false)
	}
	return PortMatch{}, fmt.Errorf("must be a port number, a range \"min:max\" or a port name")
}

func parseCalicoPortString(s string, number bool) (PortMatch, error) {
	num := func(s string) (uint16, error) {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 || n > 65535 || !allDigitsRegex.MatchString(s) {
			return 0, fmt.Errorf("port %s: must be a number from 1 to 65535", s)
		}
		return uint16(n), nil
	}
	if number || allDigitsRegex.MatchString(s) {
		n, err := num(s)
		return PortMatch{Range: PortRange{Min: n, Max: n}}, err
	}
	if g := portRangeRegex.FindStringSubmatch(s); g != nil {
		lo, err := num(g[1])
		if err != nil {
			return PortMatch{}, fmt.Errorf("range %q: %w", s, err)
		}
		hi, err := num(g[2])
		if err != nil {
			return PortMatch{}, fmt.Errorf("range %q: %w", s, err)
		}
		if lo > hi {
			return PortMatch{}, fmt.Errorf("range %q: minimum port %d is greater than maximum port %d", s, lo, hi)
		}
		return PortMatch{Range: PortRange{Min: lo, Max: hi}}, nil
	}
	if msgs := validation.IsValidPortName(s); len(msgs) > 0 {
		return PortMatch{}, fmt.Errorf("named port %q: %s", s, strings.Join(msgs, "; "))
	}
	return PortMatch{Name: s}, nil
}
