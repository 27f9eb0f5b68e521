// rsk on Bun: settings from the environment (RSK_*, PORT).
//   PORT=8787 RSK_UPSTREAM_URL=http://127.0.0.1:8000/v1 bun examples/bun/main.ts
import { startBun } from "rsk/bun";

await startBun();
