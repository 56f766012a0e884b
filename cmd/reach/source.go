package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/reach-sim/reach/model"
	"github.com/spf13/cobra"
)

// sourceFlags are the flags every command that reads a cluster shares: the
// manifests (-f), or a live cluster (--cluster and kubectl's flags).
type sourceFlags struct {
	files   []string
	podCIDR string
	live    clusterFlags
}

func (s *sourceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&s.files, "file", "f", nil,
		"manifest file or directory (recursive: .yaml, .yml, .json); - for stdin; repeatable")
	cmd.Flags().StringVar(&s.podCIDR, "pod-cidr", model.DefaultPodCIDR.String(),
		"range for the addresses of pods that have none in the manifests")
	s.live.register(cmd, "read the cluster of the kubeconfig context instead of manifests (get and list only)")
}

// load reads the cluster; every problem is an exit-2 error listing all of
// them, one per line.
func (s *sourceFlags) load() (*model.Cluster, error) {
	if s.live.cluster && len(s.files) > 0 {
		return nil, usageError("give -f or --cluster, not both")
	}
	if !s.live.cluster {
		if err := s.live.unused(); err != nil {
			return nil, err
		}
		if len(s.files) == 0 {
			return nil, usageError("no manifests: give -f FILE or -f DIR")
		}
	}
	cidr, err := netip.ParsePrefix(s.podCIDR)
	if err != nil {
		return nil, usageError(fmt.Sprintf("--pod-cidr %q: not a CIDR", s.podCIDR))
	}
	opt := model.Options{PodCIDR: cidr}
	if s.live.cluster {
		snap, err := s.live.read()
		if err != nil {
			return nil, err
		}
		c, err := snap.Build(opt)
		if err != nil {
			return nil, problemsError("cluster's objects", err)
		}
		return c, nil
	}
	c, err := model.Load(opt, s.files...)
	if err != nil {
		return nil, problemsError("manifests", err)
	}
	return c, nil
}

// clusterFlags are kubectl's flags for reaching a cluster, and -q.
type clusterFlags struct {
	cluster bool
	cfg     model.ClusterConfig
	quiet   bool
	cmd     *cobra.Command
}

// namespaceHelp is what --namespace does, said wherever it is.
const namespaceHelp = "with --cluster: show the pods of this namespace only (default: the context's namespace); " +
	"the policies of every namespace, and global ones, still apply"

func (f *clusterFlags) register(cmd *cobra.Command, clusterHelp string) {
	f.cmd = cmd
	fl := cmd.Flags()
	fl.BoolVar(&f.cluster, "cluster", false, clusterHelp)
	fl.StringVar(&f.cfg.Kubeconfig, "kubeconfig", "",
		"with --cluster: the kubeconfig file (default: $KUBECONFIG's files merged, or ~/.kube/config, or the in-cluster configuration)")
	fl.StringVar(&f.cfg.Context, "context", "", "with --cluster: the kubeconfig context (default: the current context)")
	fl.StringVarP(&f.cfg.Namespace, "namespace", "n", "", namespaceHelp)
	fl.BoolVarP(&f.cfg.AllNamespaces, "all-namespaces", "A", false, "with --cluster: show the pods of every namespace")
	fl.DurationVar(&f.cfg.Timeout, "request-timeout", 0, "with --cluster: the limit of each request to the API server (default 1m)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "with --cluster: no progress lines on stderr")
}

// unused reports cluster flags given without --cluster.
func (f *clusterFlags) unused() error {
	for _, name := range []string{"kubeconfig", "context", "namespace", "all-namespaces", "request-timeout", "quiet"} {
		if f.cmd.Flags().Changed(name) {
			return usageError(fmt.Sprintf("--%s needs --cluster", name))
		}
	}
	return nil
}

// read reads the cluster, with a progress line per resource on stderr
// unless -q is given or stderr is not a terminal. A resource the cluster
// serves but that cannot be read is an exit-2 error naming it.
func (f *clusterFlags) read() (*model.Snapshot, error) {
	ctx := f.cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var opt model.ReadOptions
	if stderr := f.cmd.ErrOrStderr(); !f.quiet && isTerminal(stderr) {
		opt.Progress = func(resource string, n int, d time.Duration) {
			fmt.Fprintf(stderr, "reach: read %d %s in %s\n", n, resource, d.Round(time.Millisecond))
		}
	}
	snap, err := model.ReadCluster(ctx, f.cfg, opt)
	if err != nil {
		var le *model.ListError
		if errors.As(err, &le) {
			return nil, &exitCode{code: 2, err: fmt.Errorf("%w (reach needs get and list on it: see deploy/reach-clusterrole.yaml)", err)}
		}
		return nil, &exitCode{code: 2, err: err}
	}
	return snap, nil
}

// isTerminal reports whether w is a terminal, where progress lines help
// rather than clutter a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func usageError(msg string) error {
	return &exitCode{code: 2, err: fmt.Errorf("%s", msg)}
}
