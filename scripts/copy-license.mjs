#!/usr/bin/env node
// `prepack` of every published package: puts the repository's LICENSE (Apache-2.0, full text) next to the
// package.json being packed, so every tarball carries it. The copies are git-ignored; the root file is the one.
import { copyFileSync } from "node:fs";

copyFileSync(new URL("../LICENSE", import.meta.url), "LICENSE");
