// Package ack is the acknowledgement of acknowledged intake: a webhook in
// "stored" mode attaches one Ack to the findings of a request and answers
// once the Ack is done. A finding is stored when its event is created, or
// when the status write that merges its occurrence into an existing event
// went through. The pipeline carries the Ack on each finding and moves it
// onto the write that carries the finding's occurrence; the writer settles
// it with that write's outcome. An Ack never blocks the pipeline: it is a
// counter and a channel.
package ack
