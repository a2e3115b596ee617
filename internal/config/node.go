package config

import "k8s.io/apimachinery/pkg/api/resource"

// Node is the allocatable CPU and memory of one of the cluster's nodes
// (kubectl describe node: Allocatable), for the plan's fit: a pod asking
// more than it can never be scheduled.
type Node struct {
	CPU    *resource.Quantity `json:"cpu"`
	Memory *resource.Quantity `json:"memory"`
}

// validateNode checks spec.node: both quantities, each above zero.
func validateNode(c *checker, n *Node) {
	if n == nil {
		return
	}
	for _, q := range []struct {
		field string
		v     *resource.Quantity
	}{{"spec.node.cpu", n.CPU}, {"spec.node.memory", n.Memory}} {
		switch {
		case q.v == nil:
			c.fail(q.field, "missing: give the node's allocatable CPU and memory both (kubectl describe node shows them)")
		case q.v.Sign() <= 0:
			c.fail(q.field, "must be above zero, not %s", q.v.String())
		}
	}
}
