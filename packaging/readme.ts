/**
 * How a package README opens, read the way a registry user reads it: the install line (the first ```sh
 * block's `npm install …`, or `npx <command>` for a command), then the first ```ts sample, which must run as pasted once that line ran.
 */
export interface ReadmeOpening {
  /** The packages the install lines name, as written (`name` or `name@range`). */
  install: string[];
  /** The first ```ts block. */
  sample: string;
  /** The packages the sample imports (node: builtins left out). */
  imports: string[];
  /** What the sample's `// → ` comment says it prints (JSON list items), if it has one. */
  promised: unknown[] | undefined;
}

/** Parses the opening of a README, or says in a sentence what is missing or in the wrong order. */
export function readOpening(markdown: string): ReadmeOpening | string {
  const blocks = [...markdown.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1] ?? "",
    code: m[2] ?? "",
  }));
  const firstTs = blocks.findIndex((block) => block.lang === "ts");
  const firstSh = blocks.findIndex((block) => block.lang === "sh");
  if (firstSh < 0) return "no ```sh block with the install line";
  if (firstTs >= 0 && firstTs < firstSh) return "the first ```ts sample comes before the install line";
  // A command's README may open with `npx <command>`: npx installs it. Every such line of the block counts.
  const lines = (blocks[firstSh]?.code ?? "").split("\n").filter((l) => /^(npm (install|i)|npx) /.test(l));
  if (lines.length === 0) return "the first ```sh block has no `npm install …` (or `npx …`) line";
  const install = lines.flatMap((line) => {
    const words = line
      .replace(/#.*$/, "")
      .split(/\s+/)
      .filter((word) => word !== "" && !word.startsWith("-"));
    return words[0] === "npx" ? words.slice(1, 2) : words.slice(2);
  });
  const sample = firstTs >= 0 ? (blocks[firstTs]?.code ?? "") : "";
  const imports = [
    ...new Set(
      [...sample.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)]
        .map((m) => m[1] ?? "")
        .filter((specifier) => !specifier.startsWith("node:") && !specifier.startsWith("."))
        .map(packageOf),
    ),
  ];
  const arrow = /\/\/ → (.*)/.exec(sample)?.[1];
  return { install, sample, imports, promised: arrow === undefined ? undefined : JSON.parse(`[${arrow}]`) };
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`, `name@1` → `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier);
  const at = name.indexOf("@", 1);
  return at > 0 ? name.slice(0, at) : name;
}
