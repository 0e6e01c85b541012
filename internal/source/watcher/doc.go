// Package watcher runs the pull sources' informers: a Watcher feeds the
// objects of one informer to the pipeline through a work queue, a Tracker
// turns successive versions of an object into occurrences and
// resolutions, restore rebuilds what the watcher knows from the stored
// events when it starts, and Status, with zen_watcher_source_up, says
// whether each source lists and watches all it should. What the objects
// mean is the business of each tool's Reader.
package watcher
