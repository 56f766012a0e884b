package model

import (
	"iter"
	"net/netip"
)

// Cluster is everything reach knows about one cluster: the endpoints, the
// objects rule selectors can see, and the tiers with their ordered policies.
// All slices are sorted (by namespace, then name) and nothing changes after a
// Cluster is built; share it freely between goroutines.
type Cluster struct {
	Namespaces      []*Namespace
	Pods            []*Pod
	Workloads       []*Workload
	Services        []*Service
	ServiceAccounts []*ServiceAccount
	HostEndpoints   []*HostEndpoint
	NetworkSets     []*NetworkSet // namespaced and global (Namespace == "")
	Profiles        []*Profile    // user-defined Calico profiles, by name

	// Tiers in evaluation order, each with its policies in evaluation order.
	// Staged policies sit at their sorted position with Staged set.
	Tiers []*Tier

	// PodCIDR is the range synthesized pod addresses were taken from.
	PodCIDR netip.Prefix

	// Notes are facts about how the model was built that a user should see
	// next to any result: synthesized addresses, kinds that were skipped.
	Notes []string

	// Skipped counts the objects of kinds that cannot affect reachability
	// (ConfigMap, Ingress, ...), by kind.
	Skipped map[string]int

	// src is what Build was given, for Objects and Derive (change.go).
	src Objects
}

// Namespace is a Kubernetes namespace. Labels include
// kubernetes.io/metadata.name, which the API server adds to every namespace.
type Namespace struct {
	Name   string
	Labels map[string]string
	Source Position
}

// Pod is a Kubernetes pod, read as it is or made from a workload's template.
type Pod struct {
	Namespace      string
	Name           string
	Labels         map[string]string
	IPs            []netip.Addr // IPv4 first; empty for finished pods
	IPSynthesized  bool         // the address was given by reach from Cluster.PodCIDR
	ServiceAccount string       // "default" when the manifest leaves it out
	NamedPorts     []NamedPort  // as Calico reads container ports
	HostNetwork    bool         // not a Calico workload endpoint: pod policy does not apply
	Phase          string       // Pending, Running, Succeeded, Failed, Unknown or ""
	Workload       *WorkloadRef // the controller it was made from, if any
	Source         Position

	labels *EndpointLabels
	// workloadInferred is set when Build gave the pod its Workload because
	// it carries a workload's template labels (see Objects).
	workloadInferred bool
}

// ID returns "namespace/name".
func (p *Pod) ID() string { return p.Namespace + "/" + p.Name }

// Finished reports whether the pod has terminated (Succeeded or Failed) and so
// holds no address.
func (p *Pod) Finished() bool { return p.Phase == "Succeeded" || p.Phase == "Failed" }

// WorkloadRef names the controller a pod belongs to.
type WorkloadRef struct {
	Kind string // Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet, ReplicationController
	Name string
}

// NamedPort is a container port with a name, as Calico indexes it.
type NamedPort struct {
	Name     string
	Protocol Protocol // TCP, UDP or SCTP
	Port     uint16
}

// Workload is a controller whose pods reach models by one representative pod.
type Workload struct {
	Kind      string
	Namespace string
	Name      string
	Pod       *Pod // the representative pod made from the template
	Source    Position
}

// ServiceAccount is a Kubernetes service account; its labels are what
// serviceAccountSelector and serviceAccounts.selector match (as pcsa.*).
type ServiceAccount struct {
	Namespace string
	Name      string
	Labels    map[string]string
	Source    Position
}

// Service is a Kubernetes service. Its backends are the pods its selector
// matches (what its EndpointSlices would list).
type Service struct {
	Namespace string
	Name      string
	Selector  map[string]string // nil: no selector, so no backends reach can know
	ClusterIP netip.Addr        // invalid when headless or unknown
	Ports     []ServicePort
	Source    Position
}

// ServicePort is one port of a service.
type ServicePort struct {
	Name       string
	Protocol   Protocol
	Port       uint16
	TargetPort uint16 // 0 when TargetName is set
	TargetName string // a named container port on the backends
}

// HostEndpoint is a Calico host endpoint: a node interface under host policy.
type HostEndpoint struct {
	Name          string
	Node          string
	InterfaceName string
	ExpectedIPs   []netip.Addr
	Labels        map[string]string
	Profiles      []string
	NamedPorts    []NamedPort
	Source        Position

	labels *EndpointLabels
}

// NetworkSet is a Calico NetworkSet (Namespace set) or GlobalNetworkSet
// (Namespace empty): labelled CIDRs that rule selectors can match.
type NetworkSet struct {
	Namespace      string
	Name           string
	Labels         map[string]string
	Nets           []netip.Prefix
	AllowedDomains []string // Calico Enterprise; kept and reported, never matched
	Source         Position

	labels *EndpointLabels
}

// Global reports whether this is a GlobalNetworkSet.
func (n *NetworkSet) Global() bool { return n.Namespace == "" }

// Profile is a Calico profile: rules applied after every tier, and labels an
// endpoint inherits. Namespaces give every pod the profile kns.<namespace>
// (allow all, both directions); reach builds those itself, so Cluster.Profiles
// holds only the profiles read from input (e.g. for host endpoints).
type Profile struct {
	Name    string
	Labels  map[string]string
	Ingress []Rule
	Egress  []Rule
	Source  Position
}

// SelectorLabels returns the labels rule and policy selectors see for the pod.
// It is nil until the pod is part of a built Cluster.
func (p *Pod) SelectorLabels() *EndpointLabels { return p.labels }

// SelectorLabels returns the labels rule selectors see for the network set.
func (n *NetworkSet) SelectorLabels() *EndpointLabels { return n.labels }

// SelectorLabels returns the labels policy and rule selectors see for the
// host endpoint.
func (h *HostEndpoint) SelectorLabels() *EndpointLabels { return h.labels }

// Rules yields every rule of every policy (staged ones included) and of
// every profile, tiers and policies in evaluation order, ingress rules
// before egress rules.
func (c *Cluster) Rules() iter.Seq[*Rule] {
	return func(yield func(*Rule) bool) {
		each := func(rules []Rule) bool {
			for i := range rules {
				if !yield(&rules[i]) {
					return false
				}
			}
			return true
		}
		for _, t := range c.Tiers {
			for _, p := range t.Policies {
				if !each(p.IngressRules) || !each(p.EgressRules) {
					return
				}
			}
		}
		for _, p := range c.Profiles {
			if !each(p.Ingress) || !each(p.Egress) {
				return
			}
		}
	}
}

// Prefixes returns every CIDR the cluster's rules (nets and notNets of both
// sides) and network sets name, in that order, duplicates included.
func (c *Cluster) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for r := range c.Rules() {
		for _, side := range []*EntityMatch{&r.Source, &r.Destination} {
			out = append(out, side.Nets...)
			out = append(out, side.NotNets...)
		}
	}
	for _, n := range c.NetworkSets {
		out = append(out, n.Nets...)
	}
	return out
}
