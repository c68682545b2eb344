/**
 * Object names and labels, as mirror-operator chose them, so that `kubectl get ds,statefulset,svc -l
 * mirror=<name>` and scripts written against `registry-mirror-<name>` keep working.
 */
export interface MirrorNames {
  statefulSet: string;
  service: string;
  headlessService: string;
  daemonSet: string;
  configMap: string;
  /** The variable Kubernetes' service links give pods of the namespace: the Service's ClusterIP. */
  serviceHostEnv: string;
}

export function mirrorNames(name: string): MirrorNames {
  const full = `registry-mirror-${name}`;
  return {
    statefulSet: full,
    service: full,
    headlessService: `${full}-headless`,
    daemonSet: `${full}-utils`,
    configMap: `${full}-config`,
    serviceHostEnv: `${full.toUpperCase().replace(/-/g, '_')}_SERVICE_HOST`,
  };
}

export type MirrorComponent = 'registry' | 'node-config';

/** Selector labels: `mirror=<name>` as in mirror-operator, plus the component so Services skip node pods. */
export function mirrorSelector(name: string, component: MirrorComponent): Record<string, string> {
  return { app: 'docker-registry', mirror: name, component };
}

export function mirrorLabels(name: string, component: MirrorComponent): Record<string, string> {
  return {
    ...mirrorSelector(name, component),
    'app.kubernetes.io/name': 'registry-mirror',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': component,
  };
}
