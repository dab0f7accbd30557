/** The programs this project holds; a stack runs the one its name starts with. */
export const programs = ["homelab", "gke"] as const;

/** A program name. */
export type ProgramName = (typeof programs)[number];

/**
 * Picks the program for a stack: `homelab`, `homelab-dev`, … run the home-lab program;
 * `gke`, `gke-prod`, … the GKE one. Any other name is an error that says how to name it.
 */
export function programFor(stack: string): ProgramName {
  const found = programs.find((p) => stack === p || stack.startsWith(`${p}-`));
  if (!found) {
    throw new Error(
      `stack "${stack}" runs no program: name it homelab or gke (optionally with a suffix, e.g. gke-prod)`,
    );
  }
  return found;
}
