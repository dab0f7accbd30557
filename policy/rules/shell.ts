/*
 * Just enough POSIX shell to read container entrypoints: `sh -c` scripts split into simple
 * commands, quotes removed, and variables expanded where their value is known. It never
 * executes anything; what it cannot resolve stays as written so rules can treat it as
 * unknown instead of guessing.
 */

/** Variables with known values (container env literals, LWS values, script assignments). */
export type Vars = Record<string, string>;

const OPERATOR_CHARS = new Set([";", "&", "|", "\n", "(", ")"]);

/**
 * Splits a shell script into simple commands (arrays of words, quotes removed). Operators
 * (`;`, `&&`, `||`, `|`, `&`, newlines, parentheses) end a command; `#` comments and
 * backslash-newline continuations are dropped; `$(…)` and backticks stay inside their word.
 */
export function splitShell(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  let i = 0;
  while (i < script.length) {
    const c = script[i] as string;
    if (c === "\\") {
      const next = script[i + 1];
      if (next === "\n") {
        i += 2;
        continue;
      }
      if (next !== undefined) {
        word += next;
        inWord = true;
      }
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      const stop = end === -1 ? script.length : end;
      word += script.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      i += 1;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === "\\" && i + 1 < script.length) {
          const next = script[i + 1] as string;
          if (next === "\n") {
            i += 2;
            continue;
          }
          word += '"\\$`'.includes(next) ? next : `\\${next}`;
          i += 2;
          continue;
        }
        word += script[i];
        i += 1;
      }
      inWord = true;
      i += 1;
      continue;
    }
    if (c === "$" && script[i + 1] === "(") {
      const end = matchingParen(script, i + 1);
      word += script.slice(i, end + 1);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === "`") {
      const end = script.indexOf("`", i + 1);
      const stop = end === -1 ? script.length : end;
      word += script.slice(i, stop + 1);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === "#" && !inWord) {
      const end = script.indexOf("\n", i);
      i = end === -1 ? script.length : end;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      endWord();
      i += 1;
      continue;
    }
    if (OPERATOR_CHARS.has(c)) {
      endCommand();
      i += 1;
      continue;
    }
    word += c;
    inWord = true;
    i += 1;
  }
  endCommand();
  return commands;
}

function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth += 1;
    else if (s[i] === ")") {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return s.length - 1;
}

/**
 * Kubernetes' own expansion of `command`/`args`: `$(NAME)` becomes the value of a known
 * variable, `$$` an escaped `$`; unknown references stay as written (as Kubernetes does).
 */
export function expandKubernetesVars(s: string, vars: Vars): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name?: string) => {
    if (match === "$$") return "$";
    return name !== undefined && name in vars ? (vars[name] as string) : match;
  });
}

/**
 * Shell parameter expansion of known variables in one word: `$NAME`, `${NAME}`,
 * `${NAME:-default}` / `${NAME-default}` (the default when NAME is unknown).
 */
export function expandShellVars(word: string, vars: Vars): string {
  return word.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, fallback?: string, bare?: string) => {
      const name = braced ?? bare ?? "";
      if (name in vars) return vars[name] as string;
      return fallback !== undefined ? fallback : match;
    },
  );
}

// Wrappers that run the rest of the line, and shell keywords that open a compound command
// (`if …; then vllm serve …; else …; fi` puts `then` in front of the real command).
const PREFIX_WORDS = new Set([
  "exec",
  "nohup",
  "time",
  "env",
  "command",
  "then",
  "else",
  "do",
  "if",
  "elif",
  "while",
  "until",
  "!",
  "{",
]);

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/**
 * A simple command with its prefixes removed: leading `NAME=value` assignments (returned
 * separately), wrappers that run the rest as the real command (`exec`, `env`, `nohup`,
 * `time`) and compound-command keywords (`then`, `else`, `do` …).
 */
export function stripCommandPrefixes(words: string[]): { words: string[]; assignments: Vars } {
  const assignments: Vars = {};
  let i = 0;
  while (i < words.length) {
    const w = words[i] as string;
    const m = ASSIGNMENT.exec(w);
    if (m) {
      assignments[m[1] as string] = m[2] as string;
      i += 1;
      continue;
    }
    if (PREFIX_WORDS.has(w)) {
      i += 1;
      continue;
    }
    break;
  }
  return { words: words.slice(i), assignments };
}

/** The file name of a command word: `/usr/bin/python3` → `python3`. */
export function baseName(word: string): string {
  const slash = word.lastIndexOf("/");
  return slash === -1 ? word : word.slice(slash + 1);
}

const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh", "ksh"]);

/**
 * The script of a `sh -c SCRIPT` style invocation (`bash -ec`, `/bin/sh -xc` …), or
 * undefined when `words` is not a shell running an inline script.
 */
export function inlineScript(words: string[]): string | undefined {
  if (words.length < 2 || !SHELLS.has(baseName(words[0] as string))) return undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "-o" || w === "+o") {
      i += 1; // `-o pipefail` takes an argument
      continue;
    }
    if (/^-[A-Za-z]+$/.test(w)) {
      if (w.includes("c")) return words[i + 1];
      continue;
    }
    if (w.startsWith("--")) continue; // --login, --norc …
    return undefined;
  }
  return undefined;
}
