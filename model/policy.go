package model

import (
	"net/netip"

	"github.com/reach-sim/reach/selector"
)

// Names and orders of the tiers Calico v3.31 creates itself.
const (
	DefaultTier                    = "default"
	AdminNetworkPolicyTier         = "adminnetworkpolicy"
	BaselineAdminNetworkPolicyTier = "baselineadminnetworkpolicy"

	DefaultTierOrder                    = 1_000_000
	AdminNetworkPolicyTierOrder         = 1_000
	BaselineAdminNetworkPolicyTierOrder = 10_000_000
)

// Tier is an ordered group of policies with a default action.
type Tier struct {
	Name string
	// Order is nil for a tier without an order: it sorts after every ordered
	// tier. Ties are broken by Name.
	Order *float64
	// DefaultAction is Deny or Pass: what happens to a packet when the tier
	// selected the endpoint but none of its policies decided.
	DefaultAction Action
	// Policies in evaluation order: Order ascending (nil last), then SortKey.
	Policies []*Policy
	Source   Position
}

// PolicyKind says which API object a policy was compiled from.
type PolicyKind uint8

// The policy kinds reach reads.
const (
	KubernetesNetworkPolicy PolicyKind = iota + 1
	CalicoNetworkPolicy
	GlobalNetworkPolicy
	AdminNetworkPolicy
	BaselineAdminNetworkPolicy
	StagedNetworkPolicy
	StagedGlobalNetworkPolicy
	StagedKubernetesNetworkPolicy
)

var policyKindNames = [...]string{
	KubernetesNetworkPolicy:       "KubernetesNetworkPolicy",
	CalicoNetworkPolicy:           "NetworkPolicy",
	GlobalNetworkPolicy:           "GlobalNetworkPolicy",
	AdminNetworkPolicy:            "AdminNetworkPolicy",
	BaselineAdminNetworkPolicy:    "BaselineAdminNetworkPolicy",
	StagedNetworkPolicy:           "StagedNetworkPolicy",
	StagedGlobalNetworkPolicy:     "StagedGlobalNetworkPolicy",
	StagedKubernetesNetworkPolicy: "StagedKubernetesNetworkPolicy",
}

// String returns the kind's API name; Kubernetes NetworkPolicy is
// "KubernetesNetworkPolicy" to tell it from Calico's.
func (k PolicyKind) String() string {
	if int(k) < len(policyKindNames) && policyKindNames[k] != "" {
		return policyKindNames[k]
	}
	return "PolicyKind(?)"
}

// Policy is one policy of any dialect in the normalized form.
type Policy struct {
	Kind      PolicyKind
	Namespace string // empty for global kinds
	Name      string // the name as written in the manifest
	Tier      string
	// Order is nil when the policy has none: it sorts after every ordered
	// policy of its tier.
	Order *float64
	// SortKey breaks ties of Order, compared byte-wise: Calico v3.31's v1
	// policy name, e.g. "ns/knp.default.web" or "default.allow-dns".
	SortKey string
	// Selector is the effective selector: which endpoints the policy applies
	// to, with the namespace and service-account scoping Calico adds.
	Selector selector.Selector
	// Ingress and Egress say which directions the policy governs (its types,
	// after API defaulting).
	Ingress, Egress bool
	IngressRules    []Rule
	EgressRules     []Rule
	// Staged is set for the Staged* kinds: they never affect the enforced
	// verdict, only the pending one.
	Staged       bool
	StagedAction string // Set, Delete, Learn or Ignore; empty unless staged
	// HostOnly is set for GlobalNetworkPolicies with preDNAT or doNotTrack:
	// Felix renders them only for host endpoints, never for workload
	// endpoints (pods), so the engine must skip them for pods.
	HostOnly bool
	// Notes are conversion facts a reader of an explanation should see, such
	// as a dropped Kubernetes rule or an AdminNetworkPolicy quirk.
	Notes  []string
	Source Position
}

// ID returns "Kind ns/name" or "Kind name".
func (p *Policy) ID() string { return p.Kind.String() + " " + objectName(p.Namespace, p.Name) }

// Governs reports whether the policy's types include direction d.
func (p *Policy) Governs(d Direction) bool {
	if d == Egress {
		return p.Egress
	}
	return p.Ingress
}

// Rules returns the rules of direction d.
func (p *Policy) Rules(d Direction) []Rule {
	if d == Egress {
		return p.EgressRules
	}
	return p.IngressRules
}

// Rule is one normalized rule. Every field that is set must match (AND);
// unset fields do not constrain.
type Rule struct {
	Action Action
	// Protocol is 0 when the rule matches any protocol.
	Protocol    Protocol
	NotProtocol Protocol // 0: no constraint
	ICMP        *ICMPMatch
	NotICMP     *ICMPMatch
	IPVersion   int // 0 (any), 4 or 6
	Source      EntityMatch
	Destination EntityMatch
	// HTTP is kept from the manifest: reach decides at L3/L4, so a rule with
	// an HTTP match acts as its L4 part and the verdict says so.
	HTTP *HTTPMatch
	// Origin is the path of the manifest field the rule came from, e.g.
	// "spec.ingress[0]" or, for a Kubernetes rule split by peer and
	// protocol, "spec.ingress[0].from[1]".
	Origin string
	// Index is the rule's position in the normalized list of its direction.
	Index int
}

// ICMPMatch matches ICMP (or ICMPv6) type and, when Code is set, code.
type ICMPMatch struct {
	Type int
	Code *int
}

// HTTPMatch is an application-layer match reach cannot evaluate offline.
type HTTPMatch struct {
	Methods []string
	Paths   []string // "exact:/x" or "prefix:/y"
}

// EntityMatch is the source or destination part of a rule.
type EntityMatch struct {
	Nets    []netip.Prefix // masked; any of them
	NotNets []netip.Prefix // none of them
	// Selector, when not nil, is the effective positive selector: the IP must
	// belong to an endpoint or network set it matches. It already includes
	// namespace scoping (semantics §4.4).
	Selector *selector.Selector
	// NotSelector, when not nil: the IP must belong to none of the endpoints
	// and network sets it matches. Never namespace-scoped.
	NotSelector *selector.Selector
	Ports       []PortMatch // any of them; empty: no constraint
	NotPorts    []PortMatch // none of them
	// Services, when not nil, matches the backends of a Kubernetes service.
	Services *ServiceRef
	// Domains are Calico Enterprise domain names (egress destinations); kept
	// and reported, they match nothing offline.
	Domains []string
}

// PortMatch is a numeric port range, or a named port when Name is set.
type PortMatch struct {
	Range PortRange
	Name  string
}

// String returns the range or the port name.
func (m PortMatch) String() string {
	if m.Name != "" {
		return m.Name
	}
	return m.Range.String()
}

// ServiceRef names a Kubernetes service.
type ServiceRef struct {
	Namespace string
	Name      string
}
