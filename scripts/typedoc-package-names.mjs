// A TypeDoc plugin for `pnpm docs`: modules are named by the import users write (`@agent-state/core/testing`)
// instead of their folder (`packages/core/src/testing`).
import { relative } from "node:path";
import { Converter, ReflectionKind } from "typedoc";
import { publicPackages, repoRoot } from "./public-packages.mjs";

/** @param {import("typedoc").Application} app */
export function load(app) {
  const names = new Map();
  for (const pkg of publicPackages()) {
    for (const key of Object.keys(pkg.manifest.exports ?? {})) {
      if (key === "./package.json") continue;
      const folder = relative(repoRoot, `${pkg.dir}/src${key === "." ? "" : `/${key.slice(2)}`}`);
      names.set(folder, key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`);
    }
  }
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      module.name = names.get(module.name) ?? module.name;
    }
  });
}
