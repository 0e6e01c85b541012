// Package filewatch keeps values read from files current while the daemon
// runs: webhook tokens and HMAC keys, and the TLS certificate, its key and
// the client CA, which mounted Secrets and cert-manager replace in place.
//
// One policy for every file:
//   - A File is read and parsed once at start by Load; an error there is
//     the caller's to report (a configuration error, exit code 2).
//   - A Watcher re-reads each of its files every interval (Interval,
//     10 s: the kubelet refreshes a mounted Secret within about a minute,
//     so this adds little). Contents are compared, not modification
//     times: the kubelet swaps a symlink to a new folder, and a file
//     rewritten within the same second keeps its mtime. Unchanged bytes
//     are not parsed again.
//   - Changed bytes are parsed; on success the new value replaces the old
//     one and the File's OnChange functions hear of it, logged at Info and
//     counted in zen_watcher_file_reloads_total.
//   - A file that cannot be read, or whose bytes do not parse, keeps the
//     last good value: a Secret mid-swap, or one emptied by mistake, must
//     not lock every sender out. The error is logged at Warn and counted
//     in zen_watcher_file_reload_errors_total, and the file is read again
//     at the next tick.
package filewatch
