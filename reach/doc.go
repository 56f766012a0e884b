// Package reach decides which endpoints of a model.Cluster can open
// connections to which, on which protocol and port, and explains why.
//
// Evaluate decides one flow the way Calico's dataplane does (semantics in
// the README): the source's egress and the destination's ingress are decided
// independently, tiers in order, policies in order, rules in order, and the
// connection is allowed only when both sides allow it. It is the readable
// reference. The Matrix computes every flow of a cluster at once, on classes
// of endpoints no policy can tell apart and on port intervals, and is checked
// against Evaluate on generated clusters.
package reach
