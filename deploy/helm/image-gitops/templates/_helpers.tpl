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

{{/* The instance name: a label value, and part of the status ConfigMaps' and the Lease's names. */}}
{{- define "image-gitops.instance" -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" (toString .Values.instance)) -}}
{{- fail (printf "instance %q: lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit" (toString .Values.instance)) -}}
{{- end -}}
{{- .Values.instance -}}
{{- end -}}

{{- define "image-gitops.leaseName" -}}
{{- if .Values.leaderElection.leaseName -}}
{{- .Values.leaderElection.leaseName -}}
{{- else if eq .Values.instance "default" -}}
image-gitops-leader
{{- else -}}
{{- printf "image-gitops-leader-%s" (include "image-gitops.instance" .) -}}
{{- end -}}
{{- end -}}

{{/*
Two releases with one instance name in one namespace would each prune the other's objects as their own. At
install and upgrade (not in `helm template`, which reads no cluster), another release's Deployment there with
the same IMAGE_GITOPS_INSTANCE (unset: "default") fails this one.
*/}}
{{- define "image-gitops.refuseSameInstance" -}}
{{- $deployments := lookup "apps/v1" "Deployment" .Release.Namespace "" -}}
{{- range $d := (get $deployments "items" | default list) -}}
{{- $labels := $d.metadata.labels | default dict -}}
{{- if and (eq (get $labels "app.kubernetes.io/name") $.Chart.Name) (ne (get $labels "app.kubernetes.io/instance") $.Release.Name) -}}
{{- $theirs := "default" -}}
{{- range $c := $d.spec.template.spec.containers -}}
{{- range $e := ($c.env | default list) -}}
{{- if and (eq $e.name "IMAGE_GITOPS_INSTANCE") $e.value -}}{{- $theirs = $e.value -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq $theirs $.Values.instance -}}
{{- fail (printf "release %q in namespace %s already runs image-gitops instance %q: give this release an instance of its own (--set instance=<name>), or the two would prune each other's objects" (get $labels "app.kubernetes.io/instance") $.Release.Namespace $theirs) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
