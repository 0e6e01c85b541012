{{/* Names, labels and the small computations the templates share. */}}

{{- define "zen-watcher.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's object name: the release name alone when it already contains the chart's. */}}
{{- define "zen-watcher.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "zen-watcher.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zen-watcher.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "zen-watcher.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "zen-watcher.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zen-watcher
{{- end -}}

{{- define "zen-watcher.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "zen-watcher.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "zen-watcher.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the shared webhook bearer token(s), or "" when there is none. */}}
{{- define "zen-watcher.tokenSecret" -}}
{{- with .Values.webhook.token -}}
{{- if .existingSecret -}}{{ .existingSecret }}{{- else if .create -}}{{ include "zen-watcher.fullname" $ }}-webhook-token{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Every webhook credential the values configure, as a JSON list: the variable
naming its file, the Secret and key it comes from, where it is mounted, and
whether the chart creates it (with a random value of `length` characters).
*/}}
{{- define "zen-watcher.credentials" -}}
{{- $table := list
  (dict "kind" "token" "env" "WEBHOOK_TOKEN_FILE" "name" "webhook-token" "length" 48)
  (dict "kind" "hmac" "env" "HMAC_SECRET_FILE" "name" "webhook-hmac" "length" 64)
  (dict "kind" "falcoToken" "env" "FALCO_WEBHOOK_TOKEN_FILE" "name" "falco-token" "length" 48)
  (dict "kind" "auditToken" "env" "AUDIT_WEBHOOK_TOKEN_FILE" "name" "audit-token" "length" 48)
  (dict "kind" "falcoHmac" "env" "FALCO_HMAC_SECRET_FILE" "name" "falco-hmac" "length" 64)
  (dict "kind" "auditHmac" "env" "AUDIT_HMAC_SECRET_FILE" "name" "audit-hmac" "length" 64) -}}
{{- $out := list -}}
{{- range $table -}}
{{- $w := index $.Values.webhook .kind -}}
{{- if or $w.existingSecret $w.create -}}
{{- $secret := $w.existingSecret | default (printf "%s-%s" (include "zen-watcher.fullname" $) .name) -}}
{{- $out = append $out (merge (dict "secret" $secret "key" $w.key "create" (not $w.existingSecret) "dir" (printf "/etc/zen-watcher/%s" .name)) .) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The Secret holding the serving certificate, or "" when TLS is off. */}}
{{- define "zen-watcher.tlsSecret" -}}
{{- if .Values.tls.enabled -}}
{{- if .Values.tls.certManager.enabled -}}
{{- default (printf "%s-tls" (include "zen-watcher.fullname" .)) .Values.tls.existingSecret -}}
{{- else -}}
{{- required "tls.existingSecret is required when tls.enabled is true and tls.certManager.enabled is false" .Values.tls.existingSecret -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* http or https, as the daemon serves. */}}
{{- define "zen-watcher.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end -}}
{{- end -}}

{{/*
The tools' namespaces: where zen-watcher lists pods for tool detection and,
for kube-bench and Checkov, reads result ConfigMaps. A namespace two tools
share gets one Role.
*/}}
{{- define "zen-watcher.toolNamespaces" -}}
{{- $out := dict -}}
{{- range $tool, $t := .Values.tools -}}
{{- if $t.rbac -}}
{{- $entry := get $out $t.namespace | default (dict "configMaps" false) -}}
{{- if or (eq $tool "kubeBench") (eq $tool "checkov") -}}
{{- $_ := set $entry "configMaps" true -}}
{{- end -}}
{{- $_ := set $out $t.namespace $entry -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
A config value as the daemon reads it. Whole numbers from a values file arrive
as floats, which toString would print as 1e+06; they are printed as integers.
*/}}
{{- define "zen-watcher.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}
