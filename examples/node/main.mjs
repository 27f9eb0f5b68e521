// rsk on Node (20+), from the package's built JavaScript: settings from the environment (RSK_*, PORT).
//   PORT=8787 RSK_UPSTREAM_URL=http://127.0.0.1:8000/v1 node examples/node/main.mjs
import { startNode } from "rsk/node";

await startNode();
