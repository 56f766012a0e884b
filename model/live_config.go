package model

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ClusterConfig says which cluster ReadCluster reads and how to reach it,
// with kubectl's flags and rules. The zero value is kubectl's default: the
// files of KUBECONFIG merged (or ~/.kube/config), their current context and
// its namespace, or the in-cluster configuration when there is no
// kubeconfig and reach runs in a pod.
type ClusterConfig struct {
	// Kubeconfig is the one kubeconfig file to read (--kubeconfig); empty
	// means KUBECONFIG's list of files, merged, or ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context to use (--context); empty means the
	// current context.
	Context string
	// Namespace is the only namespace pods are read from (-n); empty means
	// the context's namespace ("default" when it names none; the pod's own
	// namespace in a cluster). Every other kind is read from all namespaces:
	// the policies of other namespaces, and global ones, still apply.
	Namespace string
	// AllNamespaces reads pods from every namespace (-A), whatever
	// Namespace says.
	AllNamespaces bool
	// Timeout bounds each request; 0 means one minute.
	Timeout time.Duration
}

// protobuf is the content type built-in kinds are asked for in: smaller and
// faster to decode than JSON. Custom resources (Calico's CRDs, the admin
// network policies) exist only as JSON, which the dynamic client asks for.
const protobuf = "application/vnd.kubernetes.protobuf"

// resolve finds the REST configuration, the name of the cluster for
// positions, and the namespace pods are read from ("" for all).
func (c ClusterConfig) resolve() (*rest.Config, string, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.Context}
	overrides.Context.Namespace = c.Namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, "", "", fmt.Errorf("cluster configuration: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", "", fmt.Errorf("cluster configuration: %w", err)
	}
	if c.AllNamespaces {
		ns = ""
	}
	source := c.Context
	if source == "" {
		if raw, err := cc.RawConfig(); err == nil {
			source = raw.CurrentContext
		}
	}
	if source == "" {
		source = "in-cluster"
	}
	if c.Timeout > 0 {
		rc.Timeout = c.Timeout
	} else if rc.Timeout == 0 {
		rc.Timeout = time.Minute
	}
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 100
	}
	return rc, source, ns, nil
}

// newLiveClients makes the clients for rc: protobuf for the built-in kinds,
// JSON for the rest.
func newLiveClients(rc *rest.Config) (liveClients, error) {
	pb := rest.CopyConfig(rc)
	pb.ContentType = protobuf
	pb.AcceptContentTypes = protobuf + ",application/json"
	typed, err := kubernetes.NewForConfig(pb)
	if err != nil {
		return liveClients{}, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return liveClients{}, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return liveClients{}, err
	}
	return liveClients{typed: typed, dynamic: dyn, discovery: disc}, nil
}

// ReadCluster reads every object of the kinds reach models from the
// cluster cfg names, with nothing but get and list: namespaces, pods (of
// one namespace, unless cfg says all), services, service accounts,
// Kubernetes network policies, admin and baseline admin network policies,
// and Calico's tiers, policies, staged policies, network sets, host
// endpoints and profiles from projectcalico.org/v3 when the cluster serves
// it, else from crd.projectcalico.org/v1.
//
// Each resource is listed in pages of opt.PageSize objects; a listing whose
// continue token expires starts again. A group the cluster does not serve
// is read as empty, with a note saying so. A resource the cluster serves
// but that cannot be read (refused, timed out, failing after retries) is a
// *ListError: a model missing policies would allow what the cluster denies.
func ReadCluster(ctx context.Context, cfg ClusterConfig, opt ReadOptions) (*Snapshot, error) {
	rc, source, ns, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	clients, err := newLiveClients(rc)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", source, err)
	}
	return readCluster(ctx, clients, source, ns, opt)
}

// LoadCluster reads a cluster with ReadCluster and builds the model from
// what it read.
func LoadCluster(ctx context.Context, cfg ClusterConfig, ropt ReadOptions, opt Options) (*Cluster, error) {
	s, err := ReadCluster(ctx, cfg, ropt)
	if err != nil {
		return nil, err
	}
	return s.Build(opt)
}

func readCluster(ctx context.Context, clients liveClients, source, ns string, opt ReadOptions) (*Snapshot, error) {
	snap := &Snapshot{Source: source, Namespace: ns}
	if ns != "" {
		snap.Notes = append(snap.Notes, fmt.Sprintf("pods read from namespace %q only; policies from all namespaces", ns))
	}
	r := &liveReader{clients: clients, opt: opt, namespace: ns, snap: snap, wait: retryWait}
	if err := r.read(ctx); err != nil {
		return nil, err
	}
	return snap, nil
}
