// Package slack is the Slack output: it posts findings to an incoming
// webhook as Block Kit messages, built with github.com/slack-go/slack's
// block types.
//
// Grouping. One Notify batch becomes one message, whatever its size, so
// a burst of 500 findings is as many messages as the engine makes
// batches of it, not 500. The message has:
//
//   - a header: how many findings, new, escalated or resolved, and the
//     cluster (CLUSTER_NAME);
//   - a context line counting them by severity;
//   - one attachment per severity of the open findings, most severe
//     first, coloured by severity (CRITICAL dark red, HIGH red-orange,
//     MEDIUM amber, LOW blue, INFO grey), and one green attachment for the
//     resolved ones; Block Kit blocks carry no colour, attachments do;
//   - in them, the first MaxListed findings one section each (title,
//     resource, namespace, source and rule, why it is sent), most severe
//     first; each group's remaining findings are one context line: how
//     many more, and their most frequent rules.
//
// Slack's limits, and how the message stays within them: at most 50
// blocks in a message (this one has at most 2 + MaxListed + 6 = 28,
// counting the attachments' blocks); a header's text at most 150
// characters; a section's or a context element's text at most 3000
// (finding text is clipped far below that); the top-level text, shown in
// notifications, is kept short (counts only). Incoming webhooks accept
// about one message per second per channel and answer 429 with
// Retry-After beyond that, which the engine honours.
//
// Finding text is outside input. It is written as mrkdwn with verbatim
// set, so Slack neither links URLs nor expands mentions; &, < and > are
// escaped, so no <link|label> or <!channel> can be formed; the emphasis
// characters * _ ~ ` of titles are replaced by look-alikes, so a title
// cannot restyle the message; identifiers (rule, resource, namespace) go
// in code spans, where Slack applies no formatting; "://" is shown
// defanged as "[:]//"; control characters and line breaks become spaces.
//
// Slack answers 200 "ok", or a status with a short reason (invalid_blocks,
// no_service, channel_is_archived); httpsend classifies it. The message is
// posted with httpsend rather than slack-go's PostWebhook, which discards
// that reason and reads no HTTP-date Retry-After. The webhook
// URL is the credential: it never appears in an error or a log.
package slack
