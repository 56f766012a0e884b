package model

// Backends returns the pods of a service, what its EndpointSlices would
// list: the pods in its namespace whose labels contain every label of its
// selector, host-networked pods included, finished pods left out. A service
// without a selector (or of type ExternalName) has none. The pods are in
// Cluster order.
func (c *Cluster) Backends(s *Service) []*Pod {
	if len(s.Selector) == 0 {
		return nil
	}
	var out []*Pod
	for _, p := range c.Pods {
		if p.Namespace == s.Namespace && !p.Finished() && containsLabels(p.Labels, s.Selector) {
			out = append(out, p)
		}
	}
	return out
}

// Port returns the service port with the given number and protocol.
func (s *Service) Port(number uint16, proto Protocol) (ServicePort, bool) {
	for _, p := range s.Ports {
		if p.Port == number && p.Protocol == proto {
			return p, true
		}
	}
	return ServicePort{}, false
}

// PortByName returns the service port with the given name ("" names the
// only port of a single-port service).
func (s *Service) PortByName(name string) (ServicePort, bool) {
	for _, p := range s.Ports {
		if p.Name == name {
			return p, true
		}
	}
	return ServicePort{}, false
}
