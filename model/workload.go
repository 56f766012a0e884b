package model

import (
	"fmt"
	"hash/fnv"
	"maps"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// workloadInput is what every controller kind has in common.
type workloadInput struct {
	kind     string
	meta     *metav1.ObjectMeta
	template *corev1.PodTemplateSpec
	field    string // the template's path, e.g. "spec.template"
	replicas *int32
	// selector checks the controller's selector against the template
	// labels; nil when the kind has none to check.
	selector func(templateLabels map[string]string) bool
	// extraLabels are labels the API server adds to the template.
	extraLabels map[string]string
}

func convertDeployment(d *document, out *Objects) {
	var obj appsv1.Deployment
	if !d.decode(&obj) {
		return
	}
	addWorkload(d, out, workloadInput{
		kind: "Deployment", meta: &obj.ObjectMeta, template: &obj.Spec.Template, field: "spec.template",
		replicas: obj.Spec.Replicas, selector: appsSelector(d, "deployment", obj.Spec.Selector),
	})
}

func convertReplicaSet(d *document, out *Objects) {
	var obj appsv1.ReplicaSet
	if !d.decode(&obj) {
		return
	}
	addWorkload(d, out, workloadInput{
		kind: "ReplicaSet", meta: &obj.ObjectMeta, template: &obj.Spec.Template, field: "spec.template",
		replicas: obj.Spec.Replicas, selector: appsSelector(d, "replicaset", obj.Spec.Selector),
	})
}

func convertStatefulSet(d *document, out *Objects) {
	var obj appsv1.StatefulSet
	if !d.decode(&obj) {
		return
	}
	addWorkload(d, out, workloadInput{
		kind: "StatefulSet", meta: &obj.ObjectMeta, template: &obj.Spec.Template, field: "spec.template",
		replicas: obj.Spec.Replicas, selector: appsSelector(d, "statefulset", obj.Spec.Selector),
	})
}

func convertDaemonSet(d *document, out *Objects) {
	var obj appsv1.DaemonSet
	if !d.decode(&obj) {
		return
	}
	addWorkload(d, out, workloadInput{
		kind: "DaemonSet", meta: &obj.ObjectMeta, template: &obj.Spec.Template, field: "spec.template",
		selector: appsSelector(d, "daemonset", obj.Spec.Selector),
	})
}

func convertReplicationController(d *document, out *Objects) {
	var obj corev1.ReplicationController
	if !d.decode(&obj) {
		return
	}
	var tmpl corev1.PodTemplateSpec
	if obj.Spec.Template != nil {
		tmpl = *obj.Spec.Template
	}
	selector := obj.Spec.Selector
	addWorkload(d, out, workloadInput{
		kind: "ReplicationController", meta: &obj.ObjectMeta, template: &tmpl, field: "spec.template",
		replicas: obj.Spec.Replicas,
		selector: func(tl map[string]string) bool {
			if len(selector) == 0 {
				// The API server defaults the selector to the template labels.
				if len(tl) == 0 {
					d.problem("spec.selector", "required: the template has no labels to default it from")
					return false
				}
				return true
			}
			return checkLabelMap(d, "spec.selector", selector) && templateMatches(d, "spec.template", labels.SelectorFromSet(selector), tl)
		},
	})
}

func convertJob(d *document, out *Objects) {
	var obj batchv1.Job
	if !d.decode(&obj) {
		return
	}
	w := workloadInput{
		kind: "Job", meta: &obj.ObjectMeta, template: &obj.Spec.Template, field: "spec.template",
		selector: jobSelector(d, "spec", &obj.Spec),
	}
	if obj.Spec.ManualSelector == nil || !*obj.Spec.ManualSelector {
		// The API server labels the pods of a job whose selector it
		// generates with the job's name (and a uid reach cannot know).
		w.extraLabels = map[string]string{"job-name": obj.Name, batchv1.JobNameLabel: obj.Name}
	}
	addWorkload(d, out, w)
}

func convertCronJob(d *document, out *Objects) {
	var obj batchv1.CronJob
	if !d.decode(&obj) {
		return
	}
	addWorkload(d, out, workloadInput{
		kind: "CronJob", meta: &obj.ObjectMeta, template: &obj.Spec.JobTemplate.Spec.Template,
		field:    "spec.jobTemplate.spec.template",
		selector: jobSelector(d, "spec.jobTemplate.spec", &obj.Spec.JobTemplate.Spec),
	})
}

// appsSelector checks an apps/v1 selector as the API server does: required,
// not empty, valid, and matching the template labels.
func appsSelector(d *document, kind string, sel *metav1.LabelSelector) func(map[string]string) bool {
	return func(tl map[string]string) bool {
		if sel == nil {
			d.problem("spec.selector", "required")
			return false
		}
		if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
			d.problem("spec.selector", "empty selector is invalid for %s", kind)
			return false
		}
		s, ok := workloadLabelSelector(d, "spec.selector", sel)
		return ok && templateMatches(d, "spec.template", s, tl)
	}
}

// jobSelector checks a job's selector, which is optional: the API server
// generates it unless manualSelector is true.
func jobSelector(d *document, field string, spec *batchv1.JobSpec) func(map[string]string) bool {
	return func(tl map[string]string) bool {
		manual := spec.ManualSelector != nil && *spec.ManualSelector
		if spec.Selector == nil {
			if manual {
				d.problem(field+".selector", "required when manualSelector is true")
				return false
			}
			return true
		}
		s, ok := workloadLabelSelector(d, field+".selector", spec.Selector)
		return ok && templateMatches(d, field+".template", s, tl)
	}
}

func workloadLabelSelector(d *document, field string, sel *metav1.LabelSelector) (labels.Selector, bool) {
	if !checkLabelMap(d, field+".matchLabels", sel.MatchLabels) {
		return nil, false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		d.problem(field, "%s", err)
		return nil, false
	}
	return s, true
}

func templateMatches(d *document, template string, s labels.Selector, tl map[string]string) bool {
	if !s.Matches(labels.Set(tl)) {
		d.problem(template+".metadata.labels", "selector does not match template labels")
		return false
	}
	return true
}

// addWorkload checks a controller and adds it with its representative pod
// (see the package documentation for its name).
func addWorkload(d *document, out *Objects, w workloadInput) {
	ns, ok := readMeta(d, w.meta, apivalidation.NameIsDNSSubdomain, true)
	name := w.meta.Name
	tl := w.template.Labels
	ok = checkLabelMap(d, w.field+".metadata.labels", tl) && ok
	if len(w.extraLabels) > 0 {
		tl = maps.Clone(tl)
		if tl == nil {
			tl = map[string]string{}
		}
		for k, v := range w.extraLabels {
			if _, set := tl[k]; !set {
				tl[k] = v
			}
		}
	}
	if w.selector != nil {
		ok = w.selector(tl) && ok
	}
	p := &Pod{
		Namespace: ns,
		Name:      representativeName(w.kind, ns, name),
		Labels:    tl,
		Workload:  &WorkloadRef{Kind: w.kind, Name: name},
		Source:    d.pos,
	}
	ok = readPodSpec(d, w.field+".spec", &w.template.Spec, p) && ok
	if !ok {
		return
	}
	if owner := ownedBy(w.kind, w.meta.OwnerReferences); owner != "" {
		out.Notes = append(out.Notes, fmt.Sprintf("%s %s/%s is managed by %s: reach models its pods from that object, not from it",
			w.kind, ns, name, owner))
		return
	}
	if w.replicas != nil && *w.replicas == 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%s %s/%s has replicas: 0; reach models it by the pod %s all the same",
			w.kind, ns, name, p.Name))
	}
	out.Workloads = append(out.Workloads, &Workload{Kind: w.kind, Namespace: ns, Name: name, Pod: p, Source: d.pos})
}

// ownedBy returns "Deployment web" when a ReplicaSet is controlled by a
// Deployment, or a Job by a CronJob: reach reads the owner's template
// instead, so that the old ReplicaSets "kubectl get all" lists add no
// stale pods. Other owners (operators, Argo Rollouts) are not read, so
// their workloads keep their pods.
func ownedBy(kind string, refs []metav1.OwnerReference) string {
	ref := controllerRef(refs)
	if ref == nil {
		return ""
	}
	switch {
	case kind == "ReplicaSet" && ref.Kind == "Deployment",
		kind == "Job" && ref.Kind == "CronJob":
		return ref.Kind + " " + ref.Name
	}
	return ""
}

func controllerRef(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if c := refs[i].Controller; c != nil && *c {
			return &refs[i]
		}
	}
	return nil
}

// controllerOf returns the workload a pod belongs to, from its controller
// owner reference. A ReplicaSet named <deployment>-<pod-template-hash> is
// taken for its Deployment (see deploymentOf).
func controllerOf(refs []metav1.OwnerReference, podLabels map[string]string) *WorkloadRef {
	ref := controllerRef(refs)
	if ref == nil {
		return nil
	}
	if ref.Kind == "ReplicaSet" {
		if dep, ok := deploymentOf(ref.Name, podLabels); ok {
			return &WorkloadRef{Kind: "Deployment", Name: dep}
		}
	}
	return &WorkloadRef{Kind: ref.Kind, Name: ref.Name}
}

// deploymentOf returns the Deployment that made ReplicaSet rs. Deployments
// name their ReplicaSets <deployment>-<hash> and label their pods
// pod-template-hash=<hash>: when the pod has that label it decides; when not,
// the suffix must look like a hash: 6 to 10 characters, all from the
// alphabet Kubernetes encodes hashes with, or (before Kubernetes 1.11) all
// digits.
func deploymentOf(rs string, podLabels map[string]string) (string, bool) {
	i := strings.LastIndexByte(rs, '-')
	if i <= 0 {
		return "", false
	}
	base, hash := rs[:i], rs[i+1:]
	if h, ok := podLabels[appsv1.DefaultDeploymentUniqueLabelKey]; ok {
		return base, h == hash
	}
	if len(hash) < 6 || len(hash) > 10 {
		return "", false
	}
	safe, digits := true, true
	for _, c := range hash {
		safe = safe && strings.ContainsRune(nameAlphabet, c)
		digits = digits && c >= '0' && c <= '9'
	}
	return base, safe || digits
}

// nameAlphabet is the alphabet Kubernetes draws generated name suffixes and
// pod-template-hash values from: no vowels, no confusable characters.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// representativeName names the pod that stands for a workload's pods:
// <name>-0 for a StatefulSet, as its first replica is called, and
// <name>-<five characters> for every other kind, like the pods of a
// ReplicaSet, DaemonSet or Job, the characters a hash of the kind, namespace
// and name.
func representativeName(kind, ns, name string) string {
	if kind == "StatefulSet" {
		return name + "-0"
	}
	h := fnv.New64a()
	h.Write([]byte(kind + "/" + ns + "/" + name))
	v := h.Sum64()
	var b [5]byte
	for i := range b {
		b[i] = nameAlphabet[v%uint64(len(nameAlphabet))]
		v /= uint64(len(nameAlphabet))
	}
	return name + "-" + string(b[:])
}
