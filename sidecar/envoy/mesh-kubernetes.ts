// The sidecar as Kubernetes objects: a Namespace, the policy in a ConfigMap,
// a Deployment and a Service. The policy names where the gateway reaches the
// sidecar (`sidecar.host: NAME.NAMESPACE.svc.cluster.local`); the Service and
// namespace are taken from there, so the two cannot disagree.
import type { Policy } from '../policy/schema.ts';
import type { Yaml } from './config.ts';
import { ADMIN_TOKEN_ENV } from '../admin/auth.ts';

export const POLICY_DIR = '/etc/warmroute';
export const POLICY_KEY = 'policy.yaml';
/** The Secret (key `token`) holding the admin API's bearer token; created by the operator, never rendered. */
export const ADMIN_SECRET = 'warmroute-admin';
const LABELS = { 'app.kubernetes.io/name': 'warmroute', 'app.kubernetes.io/part-of': 'warmroute' };

/** The Service named by `sidecar.host`; adds to `problems` what keeps the policy from running in a pod. */
export function sidecarService(policy: Policy, problems: string[]): { name: string; namespace: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\.cluster\.local$/.exec(policy.sidecar.host);
  if (!m) problems.push(`sidecar.host must be the sidecar's Service, NAME.NAMESPACE.svc.cluster.local (got ${policy.sidecar.host})`);
  // In a pod, the gateway's gRPC and the kubelet's probes come from other addresses than loopback.
  if (policy.sidecar.bind_host !== '0.0.0.0') problems.push(`sidecar.bind_host must be 0.0.0.0 in a pod (got ${policy.sidecar.bind_host})`);
  if (policy.sidecar.admin_host !== '0.0.0.0') problems.push(`sidecar.admin_host must be 0.0.0.0 so the kubelet can probe /healthz (got ${policy.sidecar.admin_host})`);
  return { name: m?.[1] ?? 'warmroute', namespace: m?.[3] ?? 'warmroute' };
}

/**
 * Namespace, ConfigMap (the policy file verbatim), Deployment and Service.
 * The ConfigMap is mounted as a directory (never subPath, which kubelet does
 * not update), so an edited ConfigMap reaches the sidecar's watcher and
 * hot-reloads without a restart.
 */
export function renderKubernetes(policy: Policy, policyText: string, image: string): Yaml[] {
  const problems: string[] = [];
  const svc = sidecarService(policy, problems);
  if (problems.length) throw new Error(`policy is not ready for Kubernetes:\n  ${problems.join('\n  ')}`);
  const meta = (name: string) => ({ name, namespace: svc.namespace, labels: LABELS });
  const { grpc_port: grpc, admin_port: admin } = policy.sidecar;
  const probe = (periodSeconds: number, failureThreshold: number) => ({ httpGet: { path: '/healthz', port: 'admin' }, periodSeconds, failureThreshold, timeoutSeconds: 2 });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: svc.namespace, labels: LABELS } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${svc.name}-policy`), data: { [POLICY_KEY]: policyText } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(svc.name),
      spec: {
        // Queues, in-flight counts and learned load times live in one process: one replica decides for the fleet.
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'app.kubernetes.io/name': 'warmroute' } },
        template: {
          metadata: {
            labels: LABELS,
            // The sidecar speaks plain gRPC to the gateway and probes machines outside the mesh itself.
            annotations: { 'sidecar.istio.io/inject': 'false', 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(admin), 'prometheus.io/path': '/metrics' },
          },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'warmroute',
                image,
                args: ['sidecar', '--policy', `${POLICY_DIR}/${POLICY_KEY}`],
                // The admin API is bound off loopback (for the kubelet), so the sidecar requires a bearer token; /healthz stays open.
                env: [{ name: ADMIN_TOKEN_ENV, valueFrom: { secretKeyRef: { name: ADMIN_SECRET, key: 'token' } } }],
                ports: [
                  { name: 'grpc', containerPort: grpc, protocol: 'TCP' },
                  { name: 'admin', containerPort: admin, protocol: 'TCP' },
                ],
                readinessProbe: probe(5, 3),
                livenessProbe: probe(10, 6),
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [
                  { name: 'policy', mountPath: POLICY_DIR, readOnly: true },
                  // The root filesystem is read-only; Node and its libraries may still want a scratch directory.
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'policy', configMap: { name: `${svc.name}-policy` } },
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(svc.name),
      spec: {
        selector: { 'app.kubernetes.io/name': 'warmroute' },
        ports: [
          { name: 'grpc', port: grpc, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
          { name: 'http-admin', port: admin, targetPort: 'admin', protocol: 'TCP', appProtocol: 'http' },
        ],
      },
    },
  ];
}
