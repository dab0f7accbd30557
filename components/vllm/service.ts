/**
 * The Service in front of a vLLM server and the URLs clients use. It selects serving pods
 * only: Deployment pods, or the leader of each LWS group (workers run headless).
 */
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IService } from "kubernetes-models/v1/Service";
import { podSecurityNamespace } from "../namespace";
import type { VllmServerConfig } from "./args";
import { metricsPath } from "./nim";
import {
  awaitAnnotations,
  commonLabels,
  HTTP_PORT_NAME,
  LWS_NAME_LABEL,
  LWS_WORKER_INDEX_LABEL,
  selectorLabels,
} from "./workload";

/**
 * Name of the server's Service: `<name>-api`. Not `<name>` itself, because LWS creates a
 * headless Service of exactly the LWS's name for its pods' DNS.
 */
export function serviceName(c: VllmServerConfig): string {
  return `${c.name}-api`;
}

/** Labels that select the pods answering API requests. */
export function servingSelector(c: VllmServerConfig): Record<string, string> {
  return c.parallelism.nodes > 1
    ? { [LWS_NAME_LABEL]: c.name, [LWS_WORKER_INDEX_LABEL]: "0" }
    : selectorLabels(c);
}

/** The ClusterIP Service of the OpenAI API and `/metrics` (port `http`). */
export function vllmService(c: VllmServerConfig): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: serviceName(c),
      namespace: c.namespace,
      labels: commonLabels(c),
      annotations: {
        ...awaitAnnotations(c),
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(c.port),
        "prometheus.io/path": metricsPath(c.runtime),
      },
    },
    spec: {
      type: "ClusterIP",
      selector: servingSelector(c),
      ports: [{ name: HTTP_PORT_NAME, port: c.port, targetPort: HTTP_PORT_NAME, protocol: "TCP" }],
    },
  };
}

/** In-cluster base URL of the server (`http://<svc>.<ns>.svc.cluster.local:<port>`). */
export function serviceUrl(c: VllmServerConfig): string {
  return `http://${serviceName(c)}.${c.namespace}.svc.cluster.local:${c.port}`;
}

/** The namespace, labelled with the Pod Security level the network profile needs. */
export function vllmNamespace(c: VllmServerConfig): INamespace {
  return podSecurityNamespace(c.namespace, c.network.podSecurity, c.labels);
}
