package reach

import (
	"fmt"
	"strings"

	"github.com/reach-sim/reach/model"
)

var reasonNames = [...]string{
	NotEndpoint:          "NotEndpoint",
	RuleMatched:          "RuleMatched",
	TierDefault:          "TierDefault",
	NoPolicy:             "NoPolicy",
	PassedToProfiles:     "PassedToProfiles",
	SelfTraffic:          "SelfTraffic",
	EncapsulationDropped: "EncapsulationDropped",
}

// String returns the reason's Go name, e.g. "RuleMatched".
func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", r)
}

// String returns "rule N (Action) of Kind ns/name in tier T", or
// "rule N (Action) of profile P" for a profile rule. N is the rule's position
// in its direction's list.
func (r RuleRef) String() string {
	if r.Rule == nil {
		return "no rule"
	}
	s := fmt.Sprintf("rule %d (%s) of ", r.index(), r.Rule.Action)
	switch {
	case r.Profile != nil:
		return s + "profile " + r.Profile.Name
	case r.Policy != nil:
		s += r.Policy.ID()
		if r.Tier != nil {
			s += " in tier " + r.Tier.Name
		}
		return s
	}
	return s + "an unknown policy"
}

// index finds the rule in its policy or profile by identity; a rule that is
// not there (a copy) reports its Index field.
func (r RuleRef) index() int {
	var lists [][]model.Rule
	switch {
	case r.Profile != nil:
		lists = [][]model.Rule{r.Profile.Ingress, r.Profile.Egress}
	case r.Policy != nil:
		lists = [][]model.Rule{r.Policy.IngressRules, r.Policy.EgressRules}
	}
	for _, rules := range lists {
		for i := range rules {
			if &rules[i] == r.Rule {
				return i
			}
		}
	}
	return r.Rule.Index
}

// String explains the side in one line, e.g.
//
//	egress of prod/frontend: allowed by rule 0 (Allow) of KubernetesNetworkPolicy prod/allow-fe in tier default
//	ingress of prod/database: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy prod/default-deny
//	ingress of prod/web: allowed: no policy selects it (namespace profile kns.prod allows)
func (s Side) String() string {
	dir := "ingress"
	if s.Direction == model.Egress {
		dir = "egress"
	}
	who := s.Endpoint
	if who == "" {
		who = s.Peer.String()
	}
	return dir + " of " + who + ": " + s.explanation()
}

func (s Side) explanation() string {
	switch s.Reason {
	case NotEndpoint:
		if s.Peer.Pod != nil && s.Peer.Pod.HostNetwork {
			return "allowed: not a Calico endpoint (host-network pod)"
		}
		return "allowed: not a Calico endpoint"
	case SelfTraffic:
		return "allowed: traffic to itself never leaves the pod"
	case EncapsulationDropped:
		return "denied: Felix drops VXLAN (UDP 4789) and IP-in-IP from workloads before any policy"
	case RuleMatched:
		ref := RuleRef{Tier: s.Tier, Policy: s.Policy, Rule: s.Rule}
		return verdictWord(s.Allowed) + " by " + ref.String() + s.passedSuffix()
	case TierDefault:
		return s.tierDefault()
	case NoPolicy, PassedToProfiles:
		return s.profileExplanation()
	}
	return fmt.Sprintf("%s: %s", verdictWord(s.Allowed), s.Reason)
}

func verdictWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

// passedSuffix names the tiers that passed before a rule decided.
func (s Side) passedSuffix() string {
	if len(s.Passed) == 0 {
		return ""
	}
	return ", after " + tiersPassed(s.Passed)
}

func tiersPassed(tiers []string) string {
	if len(tiers) == 1 {
		return "tier " + tiers[0] + " passed"
	}
	return "tiers " + strings.Join(tiers, ", ") + " passed"
}

func (s Side) tierDefault() string {
	action, name := model.Deny, "?"
	if s.Tier != nil {
		name = s.Tier.Name
		if s.Tier.DefaultAction == model.Pass { // not reached: Pass continues
			action = model.Pass
		}
	}
	ids := make([]string, len(s.Selecting))
	for i, p := range s.Selecting {
		ids[i] = p.ID()
	}
	msg := fmt.Sprintf("denied: end of tier %s (default action %s)", name, action)
	if len(ids) > 0 {
		msg += "; selected by " + strings.Join(ids, ", ")
	}
	return msg + s.passedSuffix()
}

func (s Side) profileExplanation() string {
	why := "no policy selects it"
	if s.Reason == PassedToProfiles {
		why = tiersPassed(s.Passed)
	}
	if s.Profile != nil {
		if s.Profile.Name == defaultAllowProfile {
			return fmt.Sprintf("%s: %s (built-in profile %s %s)", verdictWord(s.Allowed), why, s.Profile.Name, actionVerb(s.Allowed))
		}
		if s.Peer.Pod != nil {
			return fmt.Sprintf("%s: %s (namespace profile %s %s)", verdictWord(s.Allowed), why, s.Profile.Name, actionVerb(s.Allowed))
		}
		ref := RuleRef{Profile: s.Profile, Rule: s.Rule}
		return fmt.Sprintf("%s: %s (%s %s)", verdictWord(s.Allowed), why, ref, actionVerb(s.Allowed))
	}
	if s.Peer.Host != nil && len(s.Peer.Host.Profiles) > 0 {
		return fmt.Sprintf("denied: %s (no rule of profiles %s matched)", why, strings.Join(s.Peer.Host.Profiles, ", "))
	}
	return fmt.Sprintf("denied: %s (the host endpoint has no profiles)", why)
}

func actionVerb(allowed bool) string {
	if allowed {
		return "allows"
	}
	return "denies"
}

// String explains the verdict on several lines: ALLOWED or DENIED with the
// flow, each side, the Log rules that matched, the assumptions, and the
// pending verdict when there is one, e.g.
//
//	DENIED prod/frontend -> prod/database 5432/TCP
//	  egress of prod/frontend: allowed: no policy selects it (namespace profile kns.prod allows)
//	  ingress of prod/database: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy prod/default-deny
func (v Verdict) String() string {
	var b strings.Builder
	v.write(&b, "")
	return strings.TrimSuffix(b.String(), "\n")
}

func (v Verdict) write(b *strings.Builder, indent string) {
	word := "DENIED"
	if v.Allowed {
		word = "ALLOWED"
	}
	fmt.Fprintf(b, "%s %s\n", word, v.Flow)
	in := indent + "  "
	fmt.Fprintf(b, "%s%s\n", in, v.Egress)
	fmt.Fprintf(b, "%s%s\n", in, v.Ingress)
	for _, side := range []Side{v.Egress, v.Ingress} {
		for _, ref := range side.Logged {
			dir := "ingress"
			if side.Direction == model.Egress {
				dir = "egress"
			}
			fmt.Fprintf(b, "%slogged (%s): %s\n", in, dir, ref)
		}
	}
	for _, a := range v.Assumptions {
		fmt.Fprintf(b, "%sassumed: %s\n", in, a)
	}
	if v.Pending == nil {
		return
	}
	fmt.Fprintf(b, "%spending (staged policies enforced): ", in)
	if v.Pending.body() == v.body() {
		fmt.Fprintf(b, "same\n")
		return
	}
	v.Pending.write(b, in)
}

// body renders v without its pending verdict.
func (v Verdict) body() string {
	v.Pending = nil
	var b strings.Builder
	v.write(&b, "")
	return b.String()
}
