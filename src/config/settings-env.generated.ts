// Generated from schemas/settings.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * The environment variables the reconciler reads at start-up, checked against this schema (src/config/settings-schema.ts); they also make the README's settings table (npm run generate:settings-table). A value is a string in the environment: an integer, number or boolean variable is read as one first (booleans: true/false, 1/0, yes/no, on/off). An empty value counts as unset. x-secret: the value is, or leads to, a secret: never shown. x-default: the default, when it is not one value. x-unit and x-expected: words for messages.
 */
export interface SettingsEnvironment {
  /**
   * HTTP(S) URL of the config repository
   */
  GIT_URL?: string;
  /**
   * The branch to follow
   */
  GIT_BRANCH?: string;
  /**
   * A tag to follow instead of a branch
   */
  GIT_TAG?: string;
  /**
   * Pins one commit of the branch
   */
  GIT_COMMIT?: string;
  /**
   * Folder of the manifests
   */
  GIT_PATH?: string;
  /**
   * Git user name (a token alone goes as x-access-token)
   */
  GIT_USERNAME?: string;
  /**
   * A file (mounted Secret) holding GIT_USERNAME; read before it
   */
  GIT_USERNAME_FILE?: string;
  /**
   * Git password; never logged
   */
  GIT_PASSWORD?: string;
  /**
   * A file (mounted Secret) holding GIT_PASSWORD; read before it
   */
  GIT_PASSWORD_FILE?: string;
  /**
   * Git token: sent as the Basic password (GitHub, GitLab, Gitea) or, with GIT_AUTH_SCHEME=bearer, as a bearer header; never logged
   */
  GIT_TOKEN?: string;
  /**
   * A file (mounted Secret) holding GIT_TOKEN; read before it
   */
  GIT_TOKEN_FILE?: string;
  /**
   * How GIT_TOKEN is sent
   *
   * @default "basic"
   */
  GIT_AUTH_SCHEME: 'basic' | 'bearer';
  /**
   * The bare repository kept between syncs (an emptyDir in deploy/)
   */
  GIT_CACHE_DIR?: string;
  /**
   * Bound on each git request
   *
   * @default 60
   */
  GIT_TIMEOUT_SECONDS: number;
  /**
   * Files above it are refused with a problem
   *
   * @default 1048576
   */
  MAX_FILE_BYTES: number;
  /**
   * Where objects go when a manifest names none; where the status ConfigMap and the Lease live
   */
  NAMESPACE?: string;
  /**
   * The pod's namespace (the downward API), used when NAMESPACE is unset
   */
  POD_NAMESPACE?: string;
  /**
   * Tells the objects of two reconcilers apart in one cluster
   *
   * @default "default"
   */
  IMAGE_GITOPS_INSTANCE: string;
  /**
   * For running outside the cluster
   */
  KUBECONFIG?: string;
  /**
   * When to sync: an interval in the one duration grammar of src/core (30s, 5m, 1h30m, 1d, 1w, the same as a manifest's frequency), or a cron expression as node-cron runs it (five fields, or six with seconds); checked at start-up
   */
  SYNC_SCHEDULE?: string;
  /**
   * How often a sync does everything afresh, reusing nothing of the sync before (a manifest's render is otherwise reused while nothing it reads changed): the safety net under incremental sync, in the one duration grammar; 0 makes every sync a full pass. A restart always starts with one
   *
   * @default "1h"
   */
  FULL_SYNC_INTERVAL: string;
  /**
   * Keep what this instance owns by watches (one per owned type and namespace, by label) instead of listing it at every sync; a full pass (FULL_SYNC_INTERVAL) still lists it all. false: list at every sync
   *
   * @default true
   */
  WATCH_OWNED: boolean;
  /**
   * The older name of SYNC_SCHEDULE, read when it is unset
   */
  SYNC_INTERVAL?: string;
  /**
   * Bound on one sync: past it the sync is aborted between steps and the next starts on schedule
   *
   * @default 1800
   */
  SYNC_DEADLINE_SECONDS: number;
  /**
   * Delete what left Git
   *
   * @default true
   */
  PRUNE: boolean;
  /**
   * Prune safety: refuse to delete more than this share of what is owned
   *
   * @default 0.5
   */
  MAX_PRUNE_SHARE: number;
  /**
   * Prune past MAX_PRUNE_SHARE
   *
   * @default false
   */
  ALLOW_MASS_PRUNE: boolean;
  /**
   * Objects applied at once within a tier
   *
   * @default 8
   */
  APPLY_CONCURRENCY: number;
  /**
   * Total backoff of one sync's writes to the API server
   *
   * @default 30
   */
  APPLY_RETRY_BUDGET_SECONDS: number;
  /**
   * The reconciler's own Secrets (name in its namespace, or namespace/name), comma-separated: manifests can never use them, labelled or not. The chart sets its own names
   *
   * @default "image-gitops-git-credentials,image-gitops-webhook"
   */
  RECONCILER_SECRETS: string;
  /**
   * Comma-separated namespaces whose labelled Secrets manifests may use
   */
  MANIFEST_SECRET_NAMESPACES?: string;
  /**
   * The image of copy Jobs: a repository (tagged SKOPEO_VERSION) or a whole reference (then without SKOPEO_VERSION)
   */
  SKOPEO_IMAGE?: string;
  /**
   * image-operator's: the tag of SKOPEO_IMAGE (alone, it tags the default image)
   */
  SKOPEO_VERSION?: string;
  /**
   * The image of build Jobs, as SKOPEO_IMAGE
   */
  BUILDAH_IMAGE?: string;
  /**
   * image-operator's: the tag of BUILDAH_IMAGE, as SKOPEO_VERSION
   */
  BUILDAH_VERSION?: string;
  /**
   * true runs build containers privileged, for nodes without user namespaces (see ImageBuild); image-operator's, so true or false only
   *
   * @default false
   */
  BUILDAH_PRIVILEGED_CONTAINER: boolean;
  /**
   * The image of RegistryMirror StatefulSets
   *
   * @default "docker.io/library/registry:2.8.3"
   */
  REGISTRY_IMAGE: string;
  /**
   * Image with a static sleep, copied into ImagePrepull pods (kubernetes-image-puller's name)
   */
  KIP_IMAGE?: string;
  /**
   * The other name of KIP_IMAGE
   */
  SLEEP_IMAGE?: string;
  /**
   * Small image with a shell, for node configuration DaemonSets
   *
   * @default "docker.io/library/busybox:1.36"
   */
  SHELL_IMAGE: string;
  /**
   * Jobs' backoffLimit
   *
   * @default 3
   */
  JOB_BACKOFF_LIMIT: number;
  /**
   * Jobs' activeDeadlineSeconds
   *
   * @default 3600
   */
  JOB_ACTIVE_DEADLINE_SECONDS: number;
  /**
   * A failed copy Job keeps its tags until it is deleted, so this is also the retry delay of a failed copy (ImageBuild Jobs have no TTL: they record what was built)
   *
   * @default 3600
   */
  JOB_TTL_SECONDS_AFTER_FINISHED: number;
  /**
   * Copy Jobs (ImageSync, ImageBackup) of one manifest at a time
   *
   * @default 5
   */
  SYNC_MAX_JOBS_PER_MANIFEST: number;
  /**
   * Tags copied by one Job
   *
   * @default 10
   */
  SYNC_TAGS_PER_JOB: number;
  /**
   * JSON list of per-registry defaults (host, credentialsSecret, secretNamespace, tlsVerify, caSecret, awsEcr, budget) used by every manifest; budget {"pulls": 180, "per": "6h"} binds every manifest's copies from that host and credential to one pull budget (see Pull budgets)
   *
   * @default "[]"
   */
  SYNC_REGISTRIES: string;
  /**
   * image-operator's: user name for the source of every Image (with CREDS_SOURCE_PASSWORD), under the Image's own and SYNC_REGISTRIES entries; written into the Jobs' authfile Secret, never their arguments
   */
  CREDS_SOURCE_USERNAME?: string;
  /**
   * image-operator's: password for the source of every Image (with CREDS_SOURCE_USERNAME)
   */
  CREDS_SOURCE_PASSWORD?: string;
  /**
   * Comma-separated hosts the source credentials are restricted to
   */
  CREDS_SOURCE_HOSTS?: string;
  /**
   * image-operator's: user name for the destination of every Image (with CREDS_DESTINATION_PASSWORD)
   */
  CREDS_DESTINATION_USERNAME?: string;
  /**
   * image-operator's: password for the destination of every Image (with CREDS_DESTINATION_USERNAME)
   */
  CREDS_DESTINATION_PASSWORD?: string;
  /**
   * Comma-separated hosts the destination credentials are restricted to
   */
  CREDS_DESTINATION_HOSTS?: string;
  /**
   * image-operator's: true turns TLS verification off on the source side of every Image; true or false only
   *
   * @default false
   */
  DISABLE_SRC_TLS_VERIFICATION: boolean;
  /**
   * image-operator's: true turns TLS verification off on the destination side of every Image; true or false only
   *
   * @default false
   */
  DISABLE_DEST_TLS_VERIFICATION: boolean;
  /**
   * containerd's config_path on the nodes (an absolute folder), where RegistryMirror writes hosts.toml
   *
   * @default "/etc/containerd/certs.d"
   */
  CONTAINERD_CONFIG_PATH: string;
  /**
   * mirror-operator's: the kubernetes.io/tls Secret every RegistryMirror serves (tls.secretName)
   */
  DOCKER_CERTIFICATE_SECRET?: string;
  /**
   * mirror-operator's: labels of every mirror's StatefulSet and DaemonSet, a Python/JSON dict literal
   */
  SS_DS_LABELS?: string;
  /**
   * mirror-operator's: labels of their pods, a dict literal
   */
  SS_DS_TEMPLATE_LABELS?: string;
  /**
   * mirror-operator's: tolerations of the StatefulSet and node DaemonSet, a list literal of toleration dicts
   */
  SS_DS_TOLERATIONS?: string;
  /**
   * mirror-operator's: comma-separated imagePullSecrets of every mirror
   */
  IMAGE_PULL_SECRETS?: string;
  /**
   * mirror-operator's: a ConfigMap of CA certificates trusted for every upstream (upstreamCaConfigMap)
   */
  CA_CERTIFICATE_BUNDLE?: string;
  /**
   * mirror-operator's: how nodes reach every mirror: hostess (nodeConfig hosts), containerd or none
   */
  ADDRESSING_SCHEME?: string;
  /**
   * Shared secret of the push webhook; unset, POST /webhook answers 404
   */
  WEBHOOK_SECRET?: string;
  /**
   * A file (mounted Secret) holding WEBHOOK_SECRET; read before it
   */
  WEBHOOK_SECRET_FILE?: string;
  /**
   * Listen address (host:port, :port, [::1]:port)
   *
   * @default "0.0.0.0:8080"
   */
  HTTP_ADDR: string;
  /**
   * One active replica by a coordination.k8s.io Lease
   *
   * @default true
   */
  LEADER_ELECTION: boolean;
  /**
   * The Lease the replicas of one instance elect their leader with: per instance, so that two instances side by side each have a leader
   */
  LEASE_NAME?: string;
  /**
   * The Lease's duration
   *
   * @default 15
   */
  LEASE_DURATION_SECONDS: number;
  /**
   * The leader identity
   */
  POD_NAME?: string;
  /**
   * After SIGTERM a running sync may finish for this long, then it is aborted; keep it below the pod's terminationGracePeriodSeconds
   *
   * @default 20
   */
  SHUTDOWN_GRACE_SECONDS: number;
  /**
   * JSON-lines logs; secret-looking fields and URL credentials are redacted
   *
   * @default "info"
   */
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Syncs the stored history keeps
   *
   * @default 20
   */
  HISTORY_LIMIT: number;
  /**
   * A file (mounted Secret) holding the bearer token the status page and its JSON need; the page is open when unset
   */
  STATUS_PAGE_TOKEN_FILE?: string;
  /**
   * Link to a file of the config repo at a commit, an http(s) URL with {path} (and {commit}, {line})
   */
  STATUS_PAGE_SOURCE_URL?: string;
  /**
   * Seconds between the page's own reloads (0: never)
   *
   * @default 30
   */
  STATUS_PAGE_REFRESH_SECONDS: number;
  /**
   * A file (mounted Secret) holding the http(s) URL sync notifications are POSTed to (a Slack incoming webhook holds its secret in its path)
   */
  NOTIFY_WEBHOOK_URL_FILE?: string;
  /**
   * slack (Slack-compatible text and blocks) or json (our own body)
   *
   * @default "slack"
   */
  NOTIFY_WEBHOOK_FORMAT: 'slack' | 'json';
  /**
   * A file (mounted Secret) holding the secret that signs each notification (the header X-Image-Gitops-Signature: sha256= and the HMAC)
   */
  NOTIFY_WEBHOOK_SECRET_FILE?: string;
  /**
   * Attempts per notification after the first
   *
   * @default 3
   */
  NOTIFY_WEBHOOK_RETRIES: number;
  /**
   * Bound on one notification attempt
   *
   * @default 10
   */
  NOTIFY_WEBHOOK_TIMEOUT_SECONDS: number;
  /**
   * Opening one registry connection (TCP and TLS)
   *
   * @default 10
   */
  REGISTRY_CONNECT_TIMEOUT_SECONDS: number;
  /**
   * One registry request, from sending it to the last byte of its body
   *
   * @default 30
   */
  REGISTRY_REQUEST_TIMEOUT_SECONDS: number;
  /**
   * Retries of one registry request after 429/503
   *
   * @default 3
   */
  REGISTRY_MAX_RETRIES: number;
  /**
   * A longer Retry-After fails the manifest now (it is retried next sync)
   *
   * @default 10
   */
  REGISTRY_MAX_RETRY_AFTER_SECONDS: number;
  /**
   * All Retry-After waits of one sync added up
   *
   * @default 60
   */
  REGISTRY_RETRY_WAIT_BUDGET_SECONDS: number;
  /**
   * One manifest's observe step (all its registry calls)
   *
   * @default 120
   */
  OBSERVE_TIMEOUT_SECONDS: number;
  /**
   * Token services allowed to receive registry credentials, comma-separated: tokenhost[:port] (for every registry) or registry=tokenhost[:port]; auth.docker.io is always allowed for docker.io
   */
  REGISTRY_TOKEN_HOSTS?: string;
  /**
   * Tags read of one repository's list (a manifest may ask fewer with tags.maxTags)
   *
   * @default 10000
   */
  REGISTRY_MAX_TAGS: number;
  /**
   * Tag-list pages read by one sync, all repositories together
   *
   * @default 1000
   */
  REGISTRY_TAG_PAGES_PER_SYNC: number;
  /**
   * The reconciler's AWS identity (IRSA), for awsEcr / useAwsIRSA registries
   */
  AWS_ROLE_ARN?: string;
  /**
   * The web identity token of AWS_ROLE_ARN
   */
  AWS_WEB_IDENTITY_TOKEN_FILE?: string;
  /**
   * The session name of AWS_ROLE_ARN
   */
  AWS_ROLE_SESSION_NAME?: string;
  /**
   * The region of ECR registries whose host names none (and of STS); the AWS SDK's other variables are read too
   */
  AWS_REGION?: string;
  /**
   * Read when AWS_REGION is unset
   */
  AWS_DEFAULT_REGION?: string;
  /**
   * Another endpoint for STS and ECR (a VPC endpoint)
   */
  AWS_ENDPOINT_URL?: string;
  /**
   * Another STS endpoint
   */
  AWS_ENDPOINT_URL_STS?: string;
  /**
   * Another ECR endpoint
   */
  AWS_ENDPOINT_URL_ECR?: string;
  /**
   * true: the AWS_ENDPOINT_URL variables are ignored
   */
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?: string;
  /**
   * An ECR token is renewed at the first sync once less than this (at most half its life) is left
   *
   * @default 21600
   */
  AWS_ECR_TOKEN_RENEW_BEFORE_SECONDS: number;
  /**
   * image-operator's: pages of a public.ecr.aws tag list read
   *
   * @default 4
   */
  API_AWS_PAGE_MAX: number;
  /**
   * image-operator's: tags per page of a public.ecr.aws tag list
   *
   * @default 1000
   */
  API_AWS_PAGE_ITEMS_COUNT: number;
}
