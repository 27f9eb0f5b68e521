// rsk as a Cloudflare Worker: the gateway, plus the Durable Object class its rate limits live in.
export { BucketObject, default } from "rsk/workers";
