{{- define "image-gitops.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "image-gitops.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: reconciler
{{- end -}}

{{- define "image-gitops.labels" -}}
{{ include "image-gitops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "image-gitops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "image-gitops.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "image-gitops.gitSecretName" -}}
{{- default (printf "%s-git" (include "image-gitops.fullname" .)) .Values.git.existingSecret -}}
{{- end -}}

{{- define "image-gitops.webhookSecretName" -}}
{{- default (printf "%s-webhook" (include "image-gitops.fullname" .)) .Values.webhook.existingSecret -}}
{{- end -}}
