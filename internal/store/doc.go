// Package store writes ZenAgentEvents to the API server: a bounded queue, a
// worker pool, retries with backoff, and a dead-letter queue for writes that
// keep failing. It knows how to apply one upsert; deciding what to write is
// the pipeline's job.
package store
