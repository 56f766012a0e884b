package model

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// This file decides what the loader does with a document no converter
// reads: skip it (and count it) or report it. The rule is that nothing that
// could change reachability is ever skipped silently.

// clusterScoped are the kinds reach reads that have no namespace; every
// other kind it reads goes to namespace "default" when it names none.
var clusterScoped = map[string]bool{
	"Namespace":                  true,
	"GlobalNetworkPolicy":        true,
	"StagedGlobalNetworkPolicy":  true,
	"GlobalNetworkSet":           true,
	"HostEndpoint":               true,
	"Profile":                    true,
	"Tier":                       true,
	"AdminNetworkPolicy":         true,
	"BaselineAdminNetworkPolicy": true,
	"ClusterNetworkPolicy":       true,
}

// policyGroups are the API groups whose objects may be policy. A kind of
// these groups that no converter reads is a problem, unless it is listed in
// harmlessKinds.
var policyGroups = map[string]bool{
	"projectcalico.org":        true,
	"crd.projectcalico.org":    true,
	"networking.k8s.io":        true,
	"policy.networking.k8s.io": true,
}

// harmlessKinds are the kinds of policyGroups that cannot affect
// reachability: routing, IP address management and node configuration.
var harmlessKinds = map[string]bool{
	// networking.k8s.io
	"Ingress":      true,
	"IngressClass": true,
	"IPAddress":    true,
	"ServiceCIDR":  true,
	// projectcalico.org and crd.projectcalico.org
	"IPPool":                       true,
	"BGPConfiguration":             true,
	"BGPPeer":                      true,
	"BGPFilter":                    true,
	"FelixConfiguration":           true,
	"ClusterInformation":           true,
	"KubeControllersConfiguration": true,
	"IPAMConfig":                   true,
	"IPAMConfiguration":            true,
	"IPAMBlock":                    true,
	"IPAMHandle":                   true,
	"IPReservation":                true,
	"BlockAffinity":                true,
	"CalicoNodeStatus":             true,
}

// registeredKinds maps every kind a converter reads to its apiVersions.
var registeredKinds = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	for _, m := range []map[string]converter{coreKinds, policyKinds} {
		for key := range m {
			apiVersion, kind, _ := strings.Cut(key, " ")
			out[kind] = append(out[kind], apiVersion)
		}
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
})

// groupOfAPIVersion returns the group of an apiVersion: "apps" for "apps/v1", "" for
// "v1".
func groupOfAPIVersion(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// unsupportedKind returns the field and message of the problem with a document
// no converter reads, or "" when it may be skipped.
func unsupportedKind(apiVersion, kind string) (field, msg string) {
	group := groupOfAPIVersion(apiVersion)
	if versions, ok := registeredKinds()[kind]; ok && !isCustomGroup(group, versions) {
		var same []string
		for _, v := range versions {
			if groupOfAPIVersion(v) == group {
				same = append(same, v)
			}
		}
		if len(same) == 0 {
			// extensions/v1beta1 kinds moved to the built-in groups.
			for _, v := range versions {
				if builtinGroup(groupOfAPIVersion(v)) {
					same = append(same, v)
				}
			}
		}
		if len(same) == 0 {
			same = versions
		}
		return "apiVersion", fmt.Sprintf("%q is not supported for %s: use %s", apiVersion, kind, strings.Join(same, " or "))
	}
	if policyGroups[group] && !harmlessKinds[kind] {
		return "kind", fmt.Sprintf("%s %s is not supported, and skipping it could hide a policy", apiVersion, kind)
	}
	return "", ""
}

// isCustomGroup reports whether group is a custom resource group other than
// those reach reads kind from, so that a kind of the same name there (such
// as Knative's Service) is another kind altogether. Custom resource groups
// always contain a dot; Kubernetes keeps *.k8s.io for itself.
func isCustomGroup(group string, versions []string) bool {
	if builtinGroup(group) || policyGroups[group] {
		return false
	}
	for _, v := range versions {
		if groupOfAPIVersion(v) == group {
			return false
		}
	}
	return true
}

// builtinGroup reports whether an API group is Kubernetes' own: custom
// resource groups always contain a dot, and *.k8s.io is reserved.
func builtinGroup(group string) bool {
	return !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}
