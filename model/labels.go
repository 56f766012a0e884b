package model

import "strings"

// Label keys and prefixes Calico gives endpoints (semantics §5.7).
const (
	LabelNamespace      = "projectcalico.org/namespace"
	LabelOrchestrator   = "projectcalico.org/orchestrator"
	LabelServiceAccount = "projectcalico.org/serviceaccount"
	LabelName           = "projectcalico.org/name"
	LabelK8sNamespace   = "kubernetes.io/metadata.name"
	NamespacePrefix     = "pcns."
	ServiceAcctPrefix   = "pcsa."
	OrchestratorK8s     = "k8s"
	maxSALabelLength    = 63
)

// EndpointLabels is the label view a selector sees for one endpoint or
// network set: Calico's implicit labels, the object's own labels, and the
// labels inherited from its namespace (pcns.*) and service account (pcsa.*)
// profiles, in Calico's precedence order. It reads the underlying maps
// without copying them. It implements selector.Labels.
type EndpointLabels struct {
	namespace    string // projectcalico.org/namespace; empty for global objects
	orchestrator bool   // projectcalico.org/orchestrator=k8s
	sa           string // projectcalico.org/serviceaccount; empty when absent
	own          map[string]string
	nsLabels     map[string]string // inherited as pcns.*; nil for global objects
	saName       string            // inherited as pcsa.projectcalico.org/name
	saLabels     map[string]string // inherited as pcsa.*
	hasSA        bool
	profiles     []map[string]string // host endpoints: labels of their profiles
}

// Get returns the value of key as Calico's label index would see it.
func (l *EndpointLabels) Get(key string) (string, bool) {
	switch key {
	case LabelNamespace:
		if l.namespace != "" {
			return l.namespace, true
		}
	case LabelOrchestrator:
		if l.orchestrator {
			return OrchestratorK8s, true
		}
	case LabelServiceAccount:
		if l.sa != "" {
			return l.sa, true
		}
	}
	if v, ok := l.own[key]; ok {
		return v, true
	}
	if l.nsLabels != nil && strings.HasPrefix(key, NamespacePrefix) {
		k := key[len(NamespacePrefix):]
		if k == LabelName {
			return l.namespace, true
		}
		if v, ok := l.nsLabels[k]; ok {
			return v, true
		}
	}
	if l.hasSA && strings.HasPrefix(key, ServiceAcctPrefix) {
		k := key[len(ServiceAcctPrefix):]
		if k == LabelName {
			return l.saName, true
		}
		if v, ok := l.saLabels[k]; ok {
			return v, true
		}
	}
	for _, p := range l.profiles {
		if v, ok := p[key]; ok {
			return v, true
		}
	}
	return "", false
}

func podLabels(p *Pod, ns *Namespace, sa *ServiceAccount) *EndpointLabels {
	l := &EndpointLabels{
		namespace:    p.Namespace,
		orchestrator: true,
		own:          p.Labels,
		nsLabels:     map[string]string{},
	}
	if ns != nil {
		l.nsLabels = ns.Labels
	}
	if p.ServiceAccount != "" {
		if len(p.ServiceAccount) < maxSALabelLength {
			l.sa = p.ServiceAccount
		}
		l.hasSA, l.saName = true, p.ServiceAccount
		if sa != nil {
			l.saLabels = sa.Labels
		}
	}
	return l
}

func networkSetLabels(n *NetworkSet, ns *Namespace) *EndpointLabels {
	l := &EndpointLabels{own: n.Labels}
	if n.Namespace != "" {
		l.namespace = n.Namespace
		l.nsLabels = map[string]string{}
		if ns != nil {
			l.nsLabels = ns.Labels
		}
	}
	return l
}

func hostEndpointLabels(h *HostEndpoint, profiles []map[string]string) *EndpointLabels {
	return &EndpointLabels{own: h.Labels, profiles: profiles}
}
