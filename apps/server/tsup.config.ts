import { packageBuild } from "../../tsup.shared.js";

// A private app: nothing imports its types, so no declaration build.
export default packageBuild(["src/index.ts", "src/cli.ts"], { dts: false });
