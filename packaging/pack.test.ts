import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type RedisServerHandle, startRedisServer } from "@agent-state/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicPackages, repoRoot } from "../scripts/public-packages.mjs";
import { type ReadmeOpening, readOpening } from "./readme.js";

/**
 * The packages as a registry user gets them: every public workspace package (built by global-setup.ts) is
 * packed, the tarballs go into one fresh npm project outside the workspace (plain `npm install`, dependencies
 * from the registry), and there each README's install line and first sample run as pasted, every entry point loads
 * with `import` and `require()`, TypeScript (strict, nodenext and bundler) compiles a consumer, and
 * `npx agent-state` serves. publint and attw judge each tarball.
 */

const exec = promisify(execFile);
const packages = publicPackages();
const ours = new Set(packages.map((p) => p.name));
/** First samples that need a service this machine cannot run; they are still compiled (strict), not run. */
const COMPILED_ONLY: Record<string, string> = {
  "@agent-state/dax": "needs a DAX cluster and AWS credentials",
  "agent-state": "an MCP client of the server on port 3000; `npx agent-state` itself runs in the last test",
};
/** The contract suite registers vitest tests: it needs vitest, which the temp project does not install. */
const NEEDS_VITEST = new Set(["@agent-state/core/testing"]);

const work = mkdtempSync(join(tmpdir(), "agent-state-pack-"));
const tarballDir = join(work, "tarballs");
const project = join(work, "project");
const tarballs = new Map<string, { file: string; files: string[] }>();
const openings = new Map<string, ReadmeOpening | string>();
let redis: RedisServerHandle | undefined;
const started: ChildProcess[] = [];

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return exec(command, args, {
    cwd,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Every entry point a package exports (`@scope/name`, `@scope/name/testing`), package.json left out. */
function entryPoints(name: string, manifest: Record<string, unknown>): string[] {
  const exports = (manifest.exports ?? {}) as Record<string, unknown>;
  return Object.keys(exports)
    .filter((key) => key !== "./package.json")
    .map((key) => (key === "." ? name : `${name}/${key.slice(2)}`));
}

const slug = (name: string) => name.replace(/^@/, "").replace(/\//g, "-");

// global-setup.ts has built every package before any test of the run started.
beforeAll(async () => {
  mkdirSync(tarballDir);
  await Promise.all(
    packages.map(async (pkg) => {
      const { stdout } = await sh("pnpm", ["pack", "--json", "--pack-destination", tarballDir], pkg.dir);
      // The prepack script's output comes first; the JSON report is the rest.
      const report = JSON.parse(stdout.slice(stdout.indexOf("\n{") + 1)) as {
        filename: string;
        files: { path: string }[];
      };
      tarballs.set(pkg.name, { file: report.filename, files: report.files.map((f) => f.path) });
      openings.set(pkg.name, readOpening(readFileSync(join(pkg.dir, "README.md"), "utf8")));
    }),
  );

  // One project for everything: our tarballs, plus what each README's install line names from the registry.
  const dependencies: Record<string, string> = {};
  for (const opening of openings.values()) {
    if (typeof opening === "string") continue;
    for (const spec of opening.install) {
      const at = spec.indexOf("@", 1);
      const name = at > 0 ? spec.slice(0, at) : spec;
      if (!ours.has(name)) dependencies[name] = at > 0 ? spec.slice(at + 1) : "latest";
    }
  }
  for (const [name, { file }] of tarballs) dependencies[name] = `file:${file}`;
  dependencies["@types/node"] = "^22";
  mkdirSync(project);
  // Each console.log call of a sample also goes to stdout as one JSON line marked with \u0001, to compare.
  writeFileSync(
    join(project, "capture-log.mjs"),
    'console.log = (...args) => void process.stdout.write("\\u0001" + JSON.stringify(args) + "\\n");\n',
  );
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "pack-test",
        private: true,
        type: "module",
        dependencies,
        // Our packages depend on each other by version range: these make npm take the tarballs for those too.
        overrides: Object.fromEntries([...tarballs.keys()].map((name) => [name, `$${name}`])),
      },
      null,
      2,
    ),
  );
  // --prefer-offline: what npm has cached is not fetched again (a fresh CI machine fetches everything).
  await sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
}, 900_000);

afterAll(async () => {
  try {
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(-child.pid, "SIGKILL");
    }
    await redis?.stop();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

describe.each(packages.map((p) => [p.name, p] as const))("%s", (name, pkg) => {
  it("packs what users need: dist, README, LICENSE, and the metadata a registry page shows", () => {
    const { files } = tarballs.get(name)!;
    expect(files).toContain("LICENSE");
    expect(files).toContain("README.md");
    const listed = pkg.manifest.files as string[];
    const shipped = (f: string) =>
      f === "package.json" || listed.some((entry) => f === entry || f.startsWith(`${entry}/`));
    expect(files.filter((f) => !shipped(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map") || /(^|\/)(src|test)\//.test(f))).toEqual([]);
    expect(readFileSync(join(work, "project/node_modules", name, "LICENSE"), "utf8")).toBe(
      readFileSync(join(repoRoot, "LICENSE"), "utf8"),
    );
    const m = pkg.manifest;
    expect({
      license: m.license,
      type: m.type,
      sideEffects: m.sideEffects === false || Array.isArray(m.sideEffects),
      engines: m.engines?.node,
      access: m.publishConfig?.access,
    }).toEqual({
      license: "Apache-2.0",
      type: "module",
      sideEffects: true,
      engines: ">=22.12",
      access: "public",
    });
    expect(m.description?.length).toBeGreaterThan(20);
    expect(m.keywords?.length).toBeGreaterThan(2);
  });

  it("publint --strict and attw find no problem in the tarball", async () => {
    const { file } = tarballs.get(name)!;
    const bin = join(repoRoot, "node_modules/.bin");
    await expect(sh(join(bin, "publint"), ["run", file, "--strict"], work)).resolves.toBeDefined();
    await expect(sh(join(bin, "attw"), [file, "--format", "ascii"], work)).resolves.toBeDefined();
  });

  it("its README opens with an install line naming everything the first sample imports", () => {
    const opening = openings.get(name)!;
    if (typeof opening === "string") expect.fail(`${name} README: ${opening}`);
    expect(opening.install.map((spec) => spec.replace(/(.)@.*$/, "$1"))).toContain(name);
    const installed = new Set(opening.install.map((spec) => spec.replace(/(.)@.*$/, "$1")));
    expect(opening.imports.filter((imported) => !installed.has(imported))).toEqual([]);
    // Links must work on the registry page: absolute, anchors within the README, or a file the tarball ships
    // (the server's console screenshots).
    const markdown = readFileSync(join(pkg.dir, "README.md"), "utf8");
    const { files } = tarballs.get(name)!;
    const relative = [...markdown.matchAll(/\]\(([^)]+)\)/g)]
      .map((m) => m[1] ?? "")
      .filter((href) => !/^(https?:|mailto:|#)/.test(href))
      .filter((href) => !files.includes(href));
    expect(relative).toEqual([]);
  });

  it("its README's first sample runs as pasted in a fresh project", async () => {
    const opening = openings.get(name)!;
    if (typeof opening === "string") expect.fail(`${name} README: ${opening}`);
    const file = join(project, `sample-${slug(name)}.ts`);
    writeFileSync(file, opening.sample);
    if (COMPILED_ONLY[name]) return; // compiled by the TypeScript test below
    const env: NodeJS.ProcessEnv = {};
    if (opening.imports.includes("@agent-state/redis")) {
      redis ??= await startRedisServer();
      env.REDIS_URL = `redis://127.0.0.1:${redis.port}`;
    }
    // Node's own type stripping runs the .ts file; console.log lines are captured as JSON to compare.
    const { stdout } = await sh(
      process.execPath,
      ["--experimental-strip-types", "--no-warnings", "--import", "./capture-log.mjs", file],
      project,
      env,
    );
    const printed = stdout
      .split("\n")
      .filter((line) => line.startsWith("\u0001"))
      .map((line) => JSON.parse(line.slice(1)));
    // `// → a, b` lists what the sample's console.log calls printed, in order (one call or several).
    if (opening.promised !== undefined) expect(printed.flat()).toEqual(opening.promised);
  });
});

describe("from the installed tarballs", () => {
  const specifiers = packages.flatMap((p) => entryPoints(p.name, p.manifest));

  it("every entry point loads with require() and with import", async () => {
    const probe = `
      const specs = ${JSON.stringify(specifiers)};
      const out = {};
      for (const spec of specs) {
        try { out[spec] = Object.keys(LOAD(spec)).length > 0 ? "ok" : "empty"; }
        catch (e) { out[spec] = String(e.code ?? e.message).slice(0, 200); }
      }
      console.log(JSON.stringify(out));`;
    writeFileSync(join(project, "require-all.cjs"), probe.replace("LOAD(spec)", "require(spec)"));
    writeFileSync(join(project, "import-all.mjs"), probe.replace("LOAD(spec)", "await import(spec)"));
    for (const script of ["require-all.cjs", "import-all.mjs"]) {
      const { stdout } = await sh(process.execPath, [script], project);
      const results = JSON.parse(stdout) as Record<string, string>;
      for (const spec of specifiers) {
        if (NEEDS_VITEST.has(spec))
          expect(results[spec], `${script} ${spec}`).toMatch(/vitest|MODULE_NOT_FOUND/i);
        else expect(results[spec], `${script} ${spec}`).toBe("ok");
      }
    }
  });

  it("TypeScript (strict) compiles a consumer and every README sample under nodenext and bundler", async () => {
    const usable = specifiers.filter((spec) => !NEEDS_VITEST.has(spec));
    writeFileSync(
      join(project, "consumer.ts"),
      usable.map((spec, i) => `import * as m${i} from "${spec}";`).join("\n") +
        `\nexport const loaded: object[] = [${usable.map((_, i) => `m${i}`).join(", ")}];\n`,
    );
    // A CommonJS consumer: under nodenext a .cts file takes the `require` condition and its .d.cts types.
    writeFileSync(
      join(project, "consumer.cts"),
      usable.map((spec, i) => `import m${i} = require("${spec}");`).join("\n") +
        `\nexport const loaded: object[] = [${usable.map((_, i) => `m${i}`).join(", ")}];\n`,
    );
    const base = { strict: true, noEmit: true, skipLibCheck: true, target: "es2022", types: ["node"] };
    const configs = {
      "tsconfig.nodenext.json": {
        compilerOptions: { ...base, module: "nodenext", moduleResolution: "nodenext" },
        include: ["*.ts", "*.cts"],
      },
      "tsconfig.bundler.json": {
        compilerOptions: { ...base, module: "esnext", moduleResolution: "bundler" },
        include: ["*.ts"],
      },
    };
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    for (const [file, config] of Object.entries(configs)) {
      writeFileSync(join(project, file), JSON.stringify(config));
      const result = await sh(process.execPath, [tsc, "-p", file], project).catch((error) => error);
      expect(`${result.stdout ?? ""}${result.stderr ?? ""}`, file).toBe("");
    }
  });

  it("`npx agent-state --store memory` and `npx agent-state` (the embedded default) answer /healthz", async () => {
    const serve = async (args: string[]) => {
      const child = spawn("npx", ["agent-state", ...args, "--port", "0"], {
        cwd: project,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        // As from a shell: npx sets INIT_CWD to the folder it runs in (pnpm test set it to the repository).
        env: Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "INIT_CWD")),
      });
      started.push(child);
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.on("data", (chunk: Buffer) => {
          output += chunk;
          for (const line of output.split("\n")) {
            const ready = line.startsWith("{") && line.includes('"ready"') ? JSON.parse(line) : undefined;
            if (ready?.event === "ready") resolve(ready.url);
          }
        });
        child.stderr?.on("data", (chunk: Buffer) => {
          output += chunk;
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code} before ready:\n${output}`)));
      });
      const health = await fetch(`${url}/healthz`);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid!, "SIGTERM");
      await exited;
      return { status: health.status, body: (await health.json()) as Record<string, unknown> };
    };
    const [memory, embedded] = await Promise.all([serve(["--store", "memory"]), serve([])]);
    expect(memory).toEqual({ status: 200, body: { status: "ok", store: "memory" } });
    expect(embedded).toEqual({ status: 200, body: { status: "ok", store: "embedded" } });
    // The embedded store keeps its data under ./.agent-state of the folder npx ran in.
    expect(existsSync(join(project, ".agent-state/embedded-credentials.json"))).toBe(true);
    expect(existsSync(join(project, "dynamodb-local-metadata.json"))).toBe(false); // nothing else left behind
  });
});
