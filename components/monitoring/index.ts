/**
 * Monitoring: the `Monitoring` component, its plan, the scrape objects, dashboards and alert
 * rules it ships, and the metric lists and PromQL checks they are held to.
 */
export * from "./alerts";
export * from "./dashboards";
export * from "./metrics";
export * from "./monitoring";
export * from "./plan";
export * from "./prometheus";
export * from "./promql";
export * from "./scrape";
