// Package alertmanager delivers findings to an Alertmanager through its v2
// API (POST /api/v2/alerts): one alert per finding, named
// ZenWatcherFinding, firing from the finding's firstSeen and ended when it
// is resolved. Alertmanager forgets an alert that is not sent again within
// its resolve_timeout (5 minutes by default), so the engine re-sends open
// findings every ALERTMANAGER_RESEND_INTERVAL (1 minute by default).
package alertmanager
