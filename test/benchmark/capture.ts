/** Captures what a CLI command writes to its injected stdout and stderr. */
export function capture() {
  const text = { stdout: "", stderr: "" };
  return {
    text,
    out: {
      stdout: { write: (s: string) => (text.stdout += s) },
      stderr: { write: (s: string) => (text.stderr += s) },
    },
  };
}
