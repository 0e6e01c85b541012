// Package eventindex keeps a metadata-only view of the ZenAgentEvents stored
// in the cluster, and lists the stored events of a source with their state
// for a pull source that rebuilds what it knows. Neither reads event bodies,
// so memory and traffic do not grow with the events' details.
package eventindex
