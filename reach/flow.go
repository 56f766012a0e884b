package reach

import (
	"fmt"
	"net/netip"

	"github.com/reach-sim/reach/model"
)

// EphemeralSourcePort is the source port reach assumes for a flow that does
// not name one: the first port of Linux's default ephemeral range. A verdict
// that depended on it says so in its assumptions.
const EphemeralSourcePort = 32768

// Peer is one end of a flow: a pod, a host endpoint, or an address outside
// the cluster's endpoints. Exactly one of Pod, Host and IP is set; for a pod
// or host endpoint, IP may also be set to pick one of its addresses.
type Peer struct {
	Pod  *model.Pod
	Host *model.HostEndpoint
	IP   netip.Addr
}

// String returns "ns/pod", "host/<name>" or the address.
func (p Peer) String() string {
	switch {
	case p.Pod != nil:
		return p.Pod.ID()
	case p.Host != nil:
		return "host/" + p.Host.Name
	case p.IP.IsValid():
		return p.IP.String()
	}
	return "<none>"
}

// Flow is a new connection from Src to Dst. Port is the destination port
// (ignored for protocols without ports). SrcPort 0 means "an ephemeral port"
// (EphemeralSourcePort). ICMP, for ICMP and ICMPv6 flows, is the message type
// and code; nil means an echo request.
type Flow struct {
	Src, Dst Peer
	Protocol model.Protocol
	Port     uint16
	SrcPort  uint16
	ICMP     *ICMPType
}

// ICMPType is an ICMP message type and code.
type ICMPType struct {
	Type, Code uint8
}

// String returns "SRC -> DST PORT/PROTO".
func (f Flow) String() string {
	if f.Protocol.HasPorts() {
		return fmt.Sprintf("%s -> %s %d/%s", f.Src, f.Dst, f.Port, f.Protocol)
	}
	return fmt.Sprintf("%s -> %s %s", f.Src, f.Dst, f.Protocol)
}

// Verdict is the decision on a flow with its explanation.
type Verdict struct {
	// Flow is the flow decided, with the address of each peer filled in.
	Flow    Flow
	Allowed bool
	// Self is set when a pod reaches itself: loopback never leaves the pod,
	// so no policy applies.
	Self bool
	// Egress is the source side's decision, Ingress the destination side's.
	Egress, Ingress Side
	// Assumptions lists what reach assumed to reach this verdict
	// (synthesized addresses, L7 rules treated as L4, source port, ...).
	Assumptions []string
	// Pending is the verdict with staged policies enforced; nil when the
	// cluster has no staged policy.
	Pending *Verdict
}

// Side is one direction's decision: the egress of the source or the ingress
// of the destination.
type Side struct {
	Direction model.Direction
	// Peer is the end of the flow this side belongs to: the source for
	// egress, the destination for ingress, with its address resolved.
	Peer Peer
	// Endpoint is the endpoint whose policy decided ("ns/pod", "host/x"), or
	// empty when that end is not a Calico endpoint.
	Endpoint string
	Allowed  bool
	Reason   Reason
	// Tier, Policy and Rule say what decided, when a rule or a tier did.
	// For TierDefault, Policy is the first policy of Selecting.
	Tier   *model.Tier
	Policy *model.Policy
	Rule   *model.Rule
	// Selecting lists, for TierDefault, the policies of Tier that selected
	// the endpoint in this direction, in evaluation order.
	Selecting []*model.Policy
	// Profile is the profile whose rule Rule decided, for NoPolicy and
	// PassedToProfiles; nil when no profile rule matched (deny). A pod's
	// namespace profile kns.<namespace> is made up by reach: it has one Allow
	// rule in each direction, and is shared between verdicts.
	Profile *model.Profile
	// Passed lists the tiers that handed the packet on (a Pass rule or a
	// Pass default action), in order.
	Passed []string
	// Logged lists every Log rule the packet matched on the way.
	Logged []RuleRef
}

// Reason says what kind of thing decided one side.
type Reason uint8

// The reasons a side is decided.
const (
	// NotEndpoint: that end is not a Calico endpoint (an outside address, a
	// host-network pod), so it has no policy of its own: allowed.
	NotEndpoint Reason = iota + 1
	// RuleMatched: an Allow or Deny rule of Policy decided.
	RuleMatched
	// TierDefault: Policy's tier selected the endpoint, no policy decided and
	// the tier's default action (Deny) applied.
	TierDefault
	// NoPolicy: no tier selects the endpoint in this direction; its profiles
	// decided (a pod's namespace profile allows).
	NoPolicy
	// PassedToProfiles: the last applicable tier passed; profiles decided.
	PassedToProfiles
	// SelfTraffic: a pod talking to itself.
	SelfTraffic
	// EncapsulationDropped: a workload sent VXLAN (UDP to port 4789) or
	// IP-in-IP (protocol 4), which Felix drops before any policy unless
	// AllowVXLANPacketsFromWorkloads / AllowIPIPPacketsFromWorkloads is set
	// (both default false). Egress only.
	EncapsulationDropped
)

// RuleRef names one rule of one policy (Tier and Policy set) or of one
// profile (Profile set).
type RuleRef struct {
	Tier    *model.Tier
	Policy  *model.Policy
	Profile *model.Profile
	Rule    *model.Rule
}
