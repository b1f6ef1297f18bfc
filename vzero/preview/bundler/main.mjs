// Long-lived bundler for the offline preview: JSON lines on stdin/stdout, esbuild's JS API underneath.
//
// argv: <runtimeDir> <shimsDir>. Requests: {"id", "op": "build"|"bundle"|"prepare"|"dispose"|"ping", ...};
// every request gets exactly one response line with the same id. stdout carries protocol lines only: all
// logging goes to stderr.
import readline from "node:readline";
import { loadEsbuild, runtimeDir } from "./common.mjs";

console.log = console.error; // keep stdout for the protocol
console.info = console.error;
console.warn = console.error;

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

let esbuild;
try {
  esbuild = loadEsbuild();
} catch (err) {
  send({ id: 0, ready: false, error: `esbuild is not installed in ${runtimeDir}: ${err.message}` });
  process.exit(3);
}

const { AVAILABLE, PINNED, VENDOR_SPECS, prepareVendor } = await import("./vendor.mjs");
const { buildApp, disposeAll, disposeApp } = await import("./app.mjs");
const { buildPackage } = await import("./package.mjs");

async function handle(req) {
  switch (req.op) {
    case "ping":
      return { pong: true };
    case "prepare":
      return { vendor: await prepareVendor(esbuild), available: AVAILABLE };
    case "build":
      return await buildApp(esbuild, req);
    case "bundle":
      return await buildPackage(esbuild, req);
    case "dispose":
      return { disposed: await disposeApp(req.key) };
    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

const pending = new Set();
let startup = null;
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  const task = serve(line);
  pending.add(task);
  task.finally(() => pending.delete(task));
});
// stdin closed: the Python side is gone or done; finish what was asked, then exit.
rl.on("close", async () => {
  await startup;
  while (pending.size) await Promise.allSettled([...pending]);
  await disposeAll();
  process.exit(0);
});

async function serve(line) {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    send({ id: null, error: `bad request line: ${err.message}` });
    return;
  }
  await startup;
  try {
    send({ id: req.id, ...(await handle(req)) });
  } catch (err) {
    send({ id: req.id, error: String((err && err.stack) || err) });
  }
}

startup = prepareVendor(esbuild).then(
  (vendor) => send({ id: 0, ready: true, vendor, available: AVAILABLE, vendored: VENDOR_SPECS, pinned: PINNED, esbuild: esbuild.version }),
  (err) => {
    send({ id: 0, ready: false, error: `could not build the vendor bundle: ${(err && err.stack) || err}` });
    process.exit(4);
  },
);
