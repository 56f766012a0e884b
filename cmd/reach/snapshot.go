package main

import (
	"github.com/spf13/cobra"
)

func newSnapshotCommand() *cobra.Command {
	var live clusterFlags
	var output string
	cmd := &cobra.Command{
		Use:   "snapshot --cluster [--context NAME] [-n NS | -A] [-o yaml|json]",
		Short: "Write what reach reads from a cluster as one file that -f reads back",
		Long: `snapshot reads a running cluster as every other command does with --cluster,
and writes what it read to stdout: one multi-document YAML stream (-o yaml,
the default, headed by comments naming the context and the notes of the
read), or one JSON List (-o json). Given to -f, the file gives the same model
as the cluster did: attach it to a ticket, or commit it as a baseline.

It holds namespaces, pods, services, service accounts, Kubernetes network
policies, admin network policies and Calico's tiers, policies, network sets,
host endpoints and profiles, less the metadata the API server keeps for
itself (managedFields, resourceVersion, uid, generation, creationTimestamp,
kubectl's last-applied-configuration annotation).

--namespace limits the pods read, never the policies: every namespace's
policies, and global ones, are read and still apply. reach only gets and
lists: see deploy/reach-clusterrole.yaml for the role it needs. Progress goes
to stderr when it is a terminal (-q for none).

Exit codes: 0 success, 2 error (a resource the cluster serves but that could
not be read is an error naming it: a snapshot is never silently partial).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "yaml", "json"); err != nil {
				return err
			}
			if !live.cluster {
				return usageError("snapshot reads a running cluster: give --cluster")
			}
			snap, err := live.read()
			if err != nil {
				return err
			}
			if output == "json" {
				return snap.WriteJSON(cmd.OutOrStdout())
			}
			return snap.WriteYAML(cmd.OutOrStdout())
		},
	}
	live.register(cmd, "read the cluster of the kubeconfig context (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "output format: yaml or json")
	return cmd
}
