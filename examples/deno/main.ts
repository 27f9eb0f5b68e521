// rsk for `deno serve` (and Deno Deploy): settings from the environment, the default policy bundled.
//   RSK_UPSTREAM_URL=http://127.0.0.1:8000/v1 deno serve --allow-net --allow-env --port 8787 examples/deno/main.ts
export { default } from "rsk/deno";
