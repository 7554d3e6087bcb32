// Renders docs/architecture.dot to docs/architecture.svg with Graphviz
// compiled to WebAssembly (@hpcc-js/wasm-graphviz, pinned in package.json),
// so `make diagram` needs no system Graphviz. Usage: node render.mjs in.dot out.svg
import { readFileSync, writeFileSync } from "node:fs";
import { Graphviz } from "@hpcc-js/wasm-graphviz";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node scripts/diagram/render.mjs <in.dot> <out.svg>");
  process.exit(2);
}
const graphviz = await Graphviz.load();
writeFileSync(output, graphviz.dot(readFileSync(input, "utf8"), "svg"));
console.error(`rendered ${output} with Graphviz ${graphviz.version()}`);
