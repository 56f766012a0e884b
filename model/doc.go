// Package model is the cluster as plain data: namespaces, pods (real or made
// from workload templates), services, service accounts, host endpoints,
// network sets, and every policy that governs them, compiled into one tiered
// policy form that both the Kubernetes and the Calico dialects share.
//
// The engine (package reach) sees only these types; only this package
// imports k8s.io/api, the Calico API and the network-policy API.
//
// A Cluster does not change after it is built: what-if analysis builds a new
// one. Loaders collect every problem in the input at once; each problem is a
// *Problem printed as
//
//	FILE:LINE (doc N, Kind ns/name): spec.ingress[0].ports[1].endPort: must be >= port
//
// The semantics implemented here (policy ordering keys, selector scoping,
// Kubernetes to Calico conversion) follow Calico v3.31; see the README's
// "Semantics" section for the sources.
//
// # Input
//
// Load reads YAML and JSON files, several documents a file, as kubectl
// does: YAML 1.2 scalars (y, yes, on and off are strings; only true and
// false are booleans), documents numbered from 1 (empty and comment-only
// documents, as Helm writes them, count but hold nothing), and every item of
// a List (or any kind ending in List that has items) read as an object of
// its own at the List's document number. Objects of namespaced kinds that
// name no namespace are in "default". Directories are read recursively, in
// lexical order, skipping names that start with a dot.
//
// Kinds that cannot affect reachability (ConfigMap, Secret, Ingress, RBAC,
// IP pools and the other Calico configuration kinds, custom resources of
// other projects, ...) are skipped and counted in Cluster.Skipped. A kind
// reach reads, given at an apiVersion it does not read (extensions/v1beta1
// NetworkPolicy), and any unknown kind of a policy API group
// (projectcalico.org, crd.projectcalico.org, networking.k8s.io,
// policy.networking.k8s.io) is a problem: a policy is never skipped
// silently.
//
// # Workloads
//
// A Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController,
// Job or CronJob stands for its pods by one representative pod made from its
// pod template, with the template's labels and a Workload reference to it.
// The pod is named as Kubernetes would name one of the real pods:
//
//	StatefulSet db                          db-0
//	Deployment web (and every other kind)   web-<5 characters>, e.g. web-jqvht
//
// where the five characters come from a hash of the kind, namespace and
// name, drawn from the alphabet Kubernetes uses for generated names
// (bcdfghjklmnpqrstvwxz2456789): the same input always gives the same name.
// The pods of a Job whose selector the API server generates get its
// job-name and batch.kubernetes.io/job-name labels. A workload with
// replicas: 0 keeps its representative pod, with a note, so that its
// policies can still be examined. A ReplicaSet controlled by a Deployment,
// and a Job controlled by a CronJob, add no pod of their own: their owner's
// template stands for them. When the input lists a workload's pods (they
// name it as their controller, or carry all of its template labels), they
// take the place of the representative pod. A pod controlled by a
// ReplicaSet named <deployment>-<hash> belongs to the Deployment when its
// pod-template-hash label equals the hash, or, without that label, when the
// hash looks like one (6 to 10 characters of that alphabet, or digits).
//
// # Addresses
//
// Pods keep the addresses of status.podIP and status.podIPs (IPv4 first);
// finished pods (Succeeded, Failed) have none, and host-networked pods are
// never given one. Every other pod without an address gets one from
// Options.PodCIDR (DefaultPodCIDR, 10.244.0.0/16, by default): the FNV-1a
// hash of "namespace/name" modulo the size of the range picks a first
// candidate, skipping the network and broadcast addresses and probing
// upwards past addresses already taken. Addresses given in the input are
// taken first, then pods are served in namespace/name order, so the result
// does not depend on the input order, and adding a pod moves another pod
// only when the new one, served first, takes the address that pod had. Such
// pods have IPSynthesized set, and the Cluster has a note saying how many
// there are.
package model
