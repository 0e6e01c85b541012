// Package pipeline is the one path every source's findings take:
// normalize → filter → dedup/aggregate, each a small Stage. The last stage
// hands its writes to the store. Stages do not import each other.
package pipeline
